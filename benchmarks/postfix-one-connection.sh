#!/usr/bin/env bash
# Postfix's figure beside one-connection-bench.sh (issue 14): a backlog of N 2 KiB messages in a Postfix instance
# of its own with smtp_destination_concurrency_limit = 1, delivered to the harness's counting sink over one
# connection (connection cache on), msg/s from the sink's first to last delivery.
#   benchmarks/postfix-one-connection.sh [-n 20000] [-s 2048] [--drain-seconds 120]
# As root. The instance is a copy of ../shared/bench/setup-postfix.sh with its own directories (/etc/postfix-bench1,
# /var/spool/postfix-bench1), ports 2633 (smtpd) and 2634 (sink), one connection per destination, and
# `defer_transports = smtp` while the backlog is injected (so it queues instead of trickling out); then the deferral
# is lifted and the queue flushed. The shared bench instance is not touched. The instance is stopped at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
work="$root/benchmarks/target/postfix-one-connection"
n=20000 s=2048 drain=120 port=2633 sink_port=2634
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    -s) s=$2; shift 2 ;;
    --drain-seconds) drain=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=/dev/null
BENCH_DIR="$(cd "$bench" && pwd)"
. "$BENCH_DIR/lib.sh"
build_tools >/dev/null
rm -rf "$work" && mkdir -p "$work"
setup="$work/setup-postfix1.sh"
sed -e 's#^CONF=/etc/postfix-bench$#CONF=/etc/postfix-bench1#' \
    -e 's#^QUEUE=/var/spool/postfix-bench$#QUEUE=/var/spool/postfix-bench1#' \
    -e 's#^DATA=/var/lib/postfix-bench$#DATA=/var/lib/postfix-bench1#' \
    -e 's#^LOGFILE=/var/log/postfix-bench.log$#LOGFILE=/var/log/postfix-bench1.log#' \
    -e 's#^smtp_destination_concurrency_limit = 100$#smtp_destination_concurrency_limit = 1#' \
    -e 's#^initial_destination_concurrency = 5$#initial_destination_concurrency = 1\ndefer_transports = ${DEFER_TRANSPORTS:-}#' \
    "$BENCH_DIR/setup-postfix.sh" >"$setup"
chmod +x "$setup"
grep -q '^CONF=/etc/postfix-bench1$' "$setup" && grep -q 'smtp_destination_concurrency_limit = 1$' "$setup" \
  && grep -q 'defer_transports' "$setup" || { echo "could not derive the instance from setup-postfix.sh" >&2; exit 1; }
pf() { "$setup" "$@" --port "$port" --sink-port "$sink_port"; }
trap 'kill ${sink_pid:-} 2>/dev/null || true; pf stop >/dev/null 2>&1 || true' EXIT

DEFER_TRANSPORTS=smtp pf start >"$work/setup.log" 2>&1
pf purge >/dev/null 2>&1 || true
run_id="p$(date +%s)"
echo "injecting $n messages of $s bytes (delivery deferred) ..."
"$BUILD_DIR/smtp-load" --target "127.0.0.1:$port" -n "$n" -c 20 -s "$s" -m 100 --pipelining --run-id "$run_id" -q \
  >"$work/inject.txt"
cat "$work/inject.txt"
for _ in $(seq 1 120); do [ "$(pf queue 2>/dev/null | tail -1)" -ge "$n" ] 2>/dev/null && break; sleep 1; done
echo "queued: $(pf queue | tail -1)"

"$BUILD_DIR/smtp-sink-count" --listen "127.0.0.1:$sink_port" --stats "$work/sink.stats" --run-id "$run_id" \
  --expect "$n" --idle 0 --max-time $((drain + 300)) >"$work/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 1 50); do [ -s "$work/sink.stats" ] && break; sleep 0.1; done
DEFER_TRANSPORTS= pf start >>"$work/setup.log" 2>&1
postqueue -c /etc/postfix-bench1 -f
deadline=$(( $(date +%s) + drain + 30 ))
t_first=
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 1
  first_ts=$(stat_get first_ts "$work/sink.stats")
  got=$(stat_get run_unique "$work/sink.stats")
  if [ "$(awk -v f="${first_ts:-0}" 'BEGIN { print (f > 0) }')" = 1 ]; then
    [ -z "$t_first" ] && t_first=$first_ts
    [ "${got:-0}" -ge "$n" ] && break
    [ "$(awk -v a="$t_first" -v b="$(date +%s.%N)" -v d="$drain" 'BEGIN { print (b - a >= d) }')" = 1 ] && break
  fi
done
sleep 1
got=$(stat_get run_unique "$work/sink.stats")
dups=$(stat_get run_dups "$work/sink.stats")
first_ts=$(stat_get first_ts "$work/sink.stats")
last_ts=$(stat_get last_ts "$work/sink.stats")
conns=$(stat_get connections "$work/sink.stats")
awk -v n="$n" -v s="$s" -v f="$first_ts" -v l="$last_ts" -v got="$got" -v dups="$dups" -v c="${conns:-?}" 'BEGIN {
  printf "postfix-one-connection n=%d size=%d delivered=%d duplicates=%d sink_connections=%s drain_s=%.1f msgs_per_s=%.1f\n",
    n, s, got, dups, c, l - f, (l > f ? got / (l - f) : 0) }'
