#!/usr/bin/env bash
# Delivery over one connection (issue 14): a backlog of N queued 2 KiB messages, then a relay start with
# `connection_limit: 1` for the one site every domain is routed to (the `*` static route to the harness's counting
# sink): how many messages per second one delivery slot and its one reused connection carry.
#   benchmarks/one-connection-bench.sh [-n 20000] [-s 2048] [--drain-seconds 120] [--jar engine/target/relay.jar]
#                                      [--no-build]
# The spool is filled by SQL (BacklogLoader, as backlog-bench.sh), one recipient per message, one domain. The rate
# is taken at the sink, from its first to its last delivery (CPU: the relay JVM and its PostgreSQL, sampled each
# second from the first delivery on, per message delivered meanwhile); the run stops after --drain-seconds or when all
# arrived. --jar runs another build (say a copy of the jar before a change) for A/B runs back to back.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
work="$root/benchmarks/target/one-connection"
n=20000 s=2048 drain=120 jar="$root/engine/target/relay.jar" build=1 sink_port=2629
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    -s) s=$2; shift 2 ;;
    --drain-seconds) drain=$2; shift 2 ;;
    --jar) jar=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=/dev/null
BENCH_DIR="$(cd "$bench" && pwd)"
. "$BENCH_DIR/lib.sh"
build_tools >/dev/null
[ "$build" = 1 ] && (cd "$root" && mvn -q -B -DskipTests package -pl engine,benchmarks -am)
rm -rf "$work" && mkdir -p "$work" && chmod o+x "$work"
run_id="o$(date +%s)"

echo "loading $n messages of $s bytes ..."
java -cp "$root/benchmarks/target/benchmarks.jar" dev.relay.benchmarks.BacklogLoader "$work/data" "$run_id" "$n" 1 "$s" \
  | tail -1
# the database's counters before the relay starts (the loader's work), to charge the relay only with its own
java -cp "$root/benchmarks/target/benchmarks.jar" dev.relay.benchmarks.DbStats "$work/data" 2>"$work/dbstats.err" | grep = >"$work/db.before" || true
cat >"$work/relay.yaml" <<YAML
data_dir: $work/data
smtp:
  listen: 127.0.0.1:2536
http:
  listen: 127.0.0.1:8036
delivery:
  routes: { "*": "127.0.0.1:$sink_port" }
  shaping: shaping.yaml
YAML
cat >"$work/shaping.yaml" <<YAML
default: { connection_limit: 1, max_deliveries_per_connection: 1000000 }
YAML

"$BUILD_DIR/smtp-sink-count" --listen "127.0.0.1:$sink_port" --stats "$work/sink.stats" --run-id "$run_id" \
  --expect "$n" --idle 0 --max-time $((drain + 300)) >"$work/sink.log" 2>&1 &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null || true; [ -n "${relay_pid:-}" ] && kill $relay_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$work/sink.stats" ] && break; sleep 0.1; done

(cd "$work" && exec java -Xms1g -Xmx1g -XX:+UseParallelGC ${RELAY_JAVA_OPTS:-} -jar "$jar" run \
  --config "$work/relay.yaml" >"$work/relay.log" 2>&1) &
relay_pid=$!
deadline=$(( $(date +%s) + drain + 60 ))
t_first=
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 1
  kill -0 $relay_pid 2>/dev/null || { echo "relay died; see $work/relay.log" >&2; exit 1; }
  first_ts=$(stat_get first_ts "$work/sink.stats")
  got=$(stat_get run_unique "$work/sink.stats")
  if [ "$(awk -v f="${first_ts:-0}" 'BEGIN { print (f > 0) }')" = 1 ]; then
    if [ -z "$t_first" ]; then
      t_first=$first_ts
      pm=$(head -1 "$work/data/postgres/pgdata/postmaster.pid" 2>/dev/null || echo 0)
      # (a process exiting while /proc is read fails the pipeline: not a reason to stop the run)
      cpu0=$(tree_cpu_ticks "$relay_pid,$pm" || true) got0=$got
    fi
    cpu1=$(tree_cpu_ticks "$relay_pid,$pm" || true) got1=$got
    [ "${got:-0}" -ge "$n" ] && break
    [ "$(awk -v a="$t_first" -v b="$(date +%s.%N)" -v d="$drain" 'BEGIN { print (b - a >= d) }')" = 1 ] && break
  fi
done
# idle backends flush their statistics within 10 s (PostgreSQL 15+): sample after that
sleep 11
java -cp "$root/benchmarks/target/benchmarks.jar" dev.relay.benchmarks.DbStats "$work/data" 2>/dev/null | grep = >"$work/db.after" || true
kill $relay_pid 2>/dev/null || true
wait $relay_pid 2>/dev/null || true
relay_pid=
kill $sink_pid 2>/dev/null || true
wait $sink_pid 2>/dev/null || true
got=$(stat_get run_unique "$work/sink.stats")
dups=$(stat_get run_dups "$work/sink.stats")
first_ts=$(stat_get first_ts "$work/sink.stats")
last_ts=$(stat_get last_ts "$work/sink.stats")
conns=$(stat_get connections "$work/sink.stats")
db() { echo $(( $(stat_get "$1" "$work/db.after" || echo 0) - $(stat_get "$1" "$work/db.before" || echo 0) )); }
awk -v n="$n" -v s="$s" -v f="$first_ts" -v l="$last_ts" -v got="$got" -v dups="$dups" -v c="${conns:-?}" \
    -v tx="$(db xact_commit)" -v ins="$(db tup_inserted)" -v upd="$(db tup_updated)" -v del="$(db tup_deleted)" \
    -v cpu="$(( ${cpu1:-0} - ${cpu0:-0} ))" -v cpun="$(( ${got1:-0} - ${got0:-0} ))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
  g = (got > 0) ? got : 1
  printf "one-connection n=%d size=%d delivered=%d duplicates=%d sink_connections=%s drain_s=%.1f msgs_per_s=%.1f",
    n, s, got, dups, c, l - f, (l > f ? got / (l - f) : 0)
  printf " cpu_ms_per_msg=%.2f", (cpun > 0 ? cpu * 1000 / hz / cpun : 0)
  printf " db_commits_per_msg=%.3f rows_inserted_per_msg=%.2f rows_updated_per_msg=%.2f rows_deleted_per_msg=%.2f\n",
    tx / g, ins / g, upd / g, del / g }'
