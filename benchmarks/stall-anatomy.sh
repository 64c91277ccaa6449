#!/usr/bin/env bash
# Where the acceptance tail comes from at a fixed rate (issue 14): one open-loop RateLoad level against a fresh
# bench relay, with what happened on the machine in the same seconds, and the slow 250s placed among them.
#   benchmarks/stall-anatomy.sh [--rate 2560] [--duration 30] [--warmup-messages 25000] [--work DIR] [--fsync-trace]
# The relay starts as latency-bench.sh starts it (relay-lib.sh, the same JVM options and AOT cache), its embedded
# PostgreSQL logging every statement over 15 ms and every lock wait over 5 ms. After a closed-loop warm-up
# (smtp-load, --warmup-messages) and its drain, RateLoad runs 5 s + --duration s at --rate while a sampler reads
# every thread's CPU time each 100 ms (relay JVM, its compiler threads apart, PostgreSQL, RateLoad, the sink).
# --work DIR puts the relay and its database there (default benchmarks/target/stall): /dev/shm gives a run whose
# commits cost no disk flush, to tell the disk's share from the rest. --fsync-trace adds `perf trace` of
# fdatasync/fsync/pwrite64 calls over 8 ms in every process (it costs CPU itself: read its lines, not the run's
# latency). Prints RateLoad's result, the quarter-second windows whose p99 exceeded 20 ms with the CPU, compiler
# and slow-statement figures of the same moments, and how many of the run's > 20 ms 250s fell into windows with a
# slow statement, with compiler work, on a saturated machine, or none of these. Raw files in
# benchmarks/target/stall-anatomy/. Needs root for --fsync-trace; port 2525, 2627 and 8025 free.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
out="$root/benchmarks/target/stall-anatomy"
work="$root/benchmarks/target/stall"
rate=2560 duration=30 warm_n=25000 fsync_trace=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup-messages) warm_n=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --fsync-trace) fsync_trace=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stall-anatomy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
BENCH_DIR="$(cd "$bench" && pwd)"
# shellcheck source=/dev/null
. "$BENCH_DIR/lib.sh"
# shellcheck source=relay-lib.sh
. "$root/benchmarks/relay-lib.sh"
log() { echo "stall-anatomy: $*" >&2; }

for port in 2525 2627 8025; do
  if port_open 127.0.0.1 "$port"; then log "port $port is in use (another bench running?); stop it first"; exit 1; fi
done
if [ ! -f "$root/benchmarks/target/benchmarks.jar" ]; then
  (cd "$root" && mvn -q -B -DskipTests package -pl engine,benchmarks -am)
fi
build_tools >/dev/null
relay_train "$root" "$root/benchmarks/target/aot-training" "$BENCH_DIR"
rm -rf "$out" && mkdir -p "$out"

sink_pid="" helpers=()
finish() {
  local rc=$?
  relay_stop "$work"
  for p in "${helpers[@]}" $sink_pid; do kill "$p" 2>/dev/null || true; done
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

relay_prepare "$work"
relay_start "$root" "$work"   # creates the cluster; the logging settings go into its configuration
relay_stop "$work"
pgdata="$work/data/postgres/pgdata"
printf '%s\n' "log_min_duration_statement = 15" "log_lock_waits = on" "deadlock_timeout = 5ms" \
  "log_autovacuum_min_duration = 0" "log_checkpoints = on" >>"$pgdata/postgresql.conf"
relay_start "$root" "$work"
grep -q "relay ready" "$work/relay.log" || { log "relay did not start (see $work/relay.log)"; exit 1; }

"$BUILD_DIR/smtp-sink-count" --listen 127.0.0.1:2627 --stats "$out/sink.stats" --idle 0 --max-time 7200 \
  2>"$out/sink.err" &
sink_pid=$!
for _ in $(seq 1 50); do [ -s "$out/sink.stats" ] && break; sleep 0.1; done
log "warm-up: $warm_n messages (smtp-load, 50 sessions)"
"$BUILD_DIR/smtp-load" --target 127.0.0.1:2525 -n "$warm_n" -c 50 -s 2048 --per-conn 100 --run-id "w$$" \
  --timeout 300 -q >/dev/null || true
sink_quiet "$out/sink.stats" 120 || log "deliveries of the warm-up still running after 120s; going on"
log_from=$(wc -l <"$work/data/postgres/postgres.log")

seconds=$((duration + 7))
python3 "$root/benchmarks/stall_anatomy.py" sample "$seconds" "$out/cpu.txt" &
helpers+=($!)
if [ "$fsync_trace" = 1 ]; then
  perf trace -e fdatasync,fsync,pwrite64 --duration 8 -a -o "$out/fsync-trace.txt" -- sleep "$seconds" &
  helpers+=($!)
fi
log "RateLoad: $rate msg/s for 5+$duration s"
java -Xms4g -Xmx4g -Xmn3g -XX:+UseParallelGC -XX:-UseAdaptiveSizePolicy -Drateload.trace="$out/trace.txt" \
  -cp "$root/benchmarks/target/benchmarks.jar" dev.relay.benchmarks.RateLoad --target 127.0.0.1:2525 \
  --rate "$rate" --duration "$duration" --warmup 5 --size 2048 --sessions 200 --per-conn 100 \
  --run-id "s$$" --label relay >"$out/rateload.txt" 2>"$out/rateload.err" || true
for p in "${helpers[@]}"; do wait "$p" 2>/dev/null || true; done
helpers=()
tail -n +"$log_from" "$work/data/postgres/postgres.log" >"$out/postgres.log"
cat "$out/rateload.txt"
python3 "$root/benchmarks/stall_anatomy.py" report "$out"
