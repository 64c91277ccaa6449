#!/usr/bin/env bash
# Backlog run (issue 4/7): N queued recipients over D domains, then a relay start ("restart after an outage"):
# time from launching the JVM to the first delivery, heap while it works through the backlog, drain rate to the
# harness's counting sink, losses and duplicates.
#   benchmarks/backlog-bench.sh [-n 1000000] [-d 10000] [-s 1024] [--drain-seconds 180] [--xmx 1g]
# The spool is filled by SQL (BacklogLoader), one recipient per message, all bulk priority. Every domain is routed
# by the `*` static route to the sink, i.e. one smarthost site with 100 connections; the scheduler still builds a
# job per (message, domain). The run stops after --drain-seconds (or when everything arrived); what is left stays.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
work="$root/benchmarks/target/backlog"
n=1000000 d=10000 s=1024 drain=180 xmx=1g sink_port=2628
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    -d) d=$2; shift 2 ;;
    -s) s=$2; shift 2 ;;
    --drain-seconds) drain=$2; shift 2 ;;
    --xmx) xmx=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=/dev/null
BENCH_DIR="$(cd "$bench" && pwd)"
. "$BENCH_DIR/lib.sh"
build_tools >/dev/null
(cd "$root" && mvn -q -B -DskipTests package -pl engine,benchmarks -am)
rm -rf "$work" && mkdir -p "$work" && chmod o+x "$work"
run_id="b$(date +%s)"

echo "loading $n messages over $d domains ..."
java -cp "$root/benchmarks/target/benchmarks.jar" dev.relay.benchmarks.BacklogLoader "$work/data" "$run_id" "$n" "$d" "$s" \
  | tail -1
cat >"$work/relay.yaml" <<YAML
data_dir: $work/data
smtp:
  listen: 127.0.0.1:2535
http:
  listen: 127.0.0.1:8035
delivery:
  routes: { "*": "127.0.0.1:$sink_port" }
  shaping: shaping.yaml
YAML
cat >"$work/shaping.yaml" <<YAML
default: { connection_limit: 100, max_deliveries_per_connection: 1000 }
YAML

"$BUILD_DIR/smtp-sink-count" --listen "127.0.0.1:$sink_port" --stats "$work/sink.stats" --run-id "$run_id" \
  --expect "$n" --idle 0 --max-time $((drain + 300)) >"$work/sink.log" 2>&1 &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null || true; [ -n "${relay_pid:-}" ] && kill $relay_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$work/sink.stats" ] && break; sleep 0.1; done

t0=$(date +%s.%N)
(cd "$work" && exec java -Xms"$xmx" -Xmx"$xmx" -XX:+UseParallelGC ${RELAY_JAVA_OPTS:-} -jar "$root/engine/target/relay.jar" run \
  --config "$work/relay.yaml" >"$work/relay.log" 2>&1) &
relay_pid=$!
heap_max=0 first_ts=0
deadline=$(( $(date +%s) + drain + 60 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 1
  kill -0 $relay_pid 2>/dev/null || { echo "relay died; see $work/relay.log" >&2; exit 1; }
  heap=$(curl -s "http://127.0.0.1:8035/metrics" 2>/dev/null \
    | awk '/^jvm_memory_used_bytes\{.*area="heap"/ { sum += $NF } END { printf "%d", sum }' || true)
  [ "${heap:-0}" -gt "$heap_max" ] && heap_max=$heap
  first_ts=$(stat_get first_ts "$work/sink.stats")
  got=$(stat_get run_unique "$work/sink.stats")
  if [ "$(awk -v f="${first_ts:-0}" 'BEGIN { print (f > 0) }')" = 1 ]; then
    [ -z "${t_first:-}" ] && t_first=$first_ts && echo "first delivery after $(awk -v a="$t0" -v b="$first_ts" 'BEGIN { printf "%.2f", b - a }') s"
    [ "${got:-0}" -ge "$n" ] && break
    [ "$(awk -v a="$t_first" -v b="$(date +%s.%N)" -v d="$drain" 'BEGIN { print (b - a >= d) }')" = 1 ] && break
  fi
done
sleep 1
kill $relay_pid 2>/dev/null || true
wait $relay_pid 2>/dev/null || true
relay_pid=
kill $sink_pid 2>/dev/null || true
wait $sink_pid 2>/dev/null || true
got=$(stat_get run_unique "$work/sink.stats")
dups=$(stat_get run_dups "$work/sink.stats")
first_ts=$(stat_get first_ts "$work/sink.stats")
last_ts=$(stat_get last_ts "$work/sink.stats")
awk -v n="$n" -v d="$d" -v s="$s" -v t0="$t0" -v f="$first_ts" -v l="$last_ts" -v got="$got" -v dups="$dups" \
    -v heap="$heap_max" -v xmx="$xmx" 'BEGIN {
  printf "backlog n=%d domains=%d size=%d xmx=%s first_delivery_s=%.2f delivered=%d duplicates=%d drain_s=%.1f drain_msgs_per_s=%.1f heap_max_mib=%.0f\n",
    n, d, s, xmx, f - t0, got, dups, l - f, (l > f ? got / (l - f) : 0), heap / 1048576 }'
