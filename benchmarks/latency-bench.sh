#!/usr/bin/env bash
# Latency under load (issue 7): acceptance latency at 50 %, 80 % and 100 % of the measured maximum rate, for the
# relay and, in the same run, for the bench Postfix (../shared/bench/setup-postfix.sh) as the reference.
#   benchmarks/latency-bench.sh [-s 2048] [--duration 30] [--warmup 5] [--levels "50 80 100"] [--per-conn 100]
#                               [--sessions 200] [-n 20000] [-c 50] [--max RATE] [--no-postfix] [--no-build]
#                               [--work DIR]
# For each server: a discarded closed-loop warm-up (smtp-load, n/4 messages), then the maximum: smtp-load closed
# loop, -n messages over -c sessions, --per-conn messages per connection; its msgs_per_s (accepted / wall time) is
# 100 %. Then RateLoad (open loop, fixed arrival schedule, see benchmarks/README.md) at each level for --warmup +
# --duration seconds with up to --sessions connections. Between steps it waits until deliveries to the sink have
# stopped (so one step's backlog does not load the next). Postfix's levels are relative to Postfix's own maximum.
# --max RATE skips the maximum's measurement and takes RATE msg/s as 100 % for both (to repeat levels, or to check
# the script at small rates).
# The relay is started as acceptance-bench.sh starts it (relay-lib.sh): 127.0.0.1:2525, example.test -> sink 2627;
# Postfix relays to its own sink on 2626. Prints one line per step and a table; raw lines in
# benchmarks/target/latency/. Needs root for Postfix (as compare.sh); --no-postfix measures the relay only.
# Each relay level also reports the relay's CPU per delivered message at that fixed rate (cpu_ms_per_msg, its JVM
# and its PostgreSQL apart), from the level's start until its deliveries stopped: with --max RATE --levels 100 a
# fixed-rate CPU comparison, e.g. with and without RELAY_BENCH_DKIM=1 (issue 15's cost figure).
# --work DIR puts the relay and its database there (default benchmarks/target/bench): /dev/shm/... gives a run whose
# commits flush nothing, which separates the disk's share of the tail from the relay's (never a result in itself).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
work="$root/benchmarks/target/bench"
out="$root/benchmarks/target/latency"
size=2048 duration=30 warmup=5 levels="50 80 100" per_conn=100 sessions=200 max_n=20000 max_c=50
postfix=1 build=1 drain_max=120 fixed_max=""
while [ $# -gt 0 ]; do
  case "$1" in
    -s) size=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --levels) levels=$2; shift 2 ;;
    --per-conn) per_conn=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    -n) max_n=$2; shift 2 ;;
    -c) max_c=$2; shift 2 ;;
    --max) fixed_max=$2; shift 2 ;;
    --no-postfix) postfix=0; shift ;;
    --no-build) build=0; shift ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "latency-bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
BENCH_DIR="$(cd "$bench" && pwd)"
# shellcheck source=/dev/null
. "$BENCH_DIR/lib.sh"
# shellcheck source=relay-lib.sh
. "$root/benchmarks/relay-lib.sh"

log() { echo "latency-bench: $*" >&2; }

for port in 2525 2627 $([ "$postfix" = 1 ] && echo 2626); do
  if port_open 127.0.0.1 "$port"; then
    log "port $port is in use (another bench running?); stop it first"; exit 1
  fi
done
build_tools >/dev/null
if [ "$build" = 1 ]; then
  (cd "$root" && mvn -q -B -DskipTests package -pl engine,benchmarks -am)
fi
relay_train "$root" "$root/benchmarks/target/aot-training" "$BENCH_DIR"
mkdir -p "$out"
results="$out/results-$(date +%Y%m%d-%H%M%S).txt"
stamp=$(date +%s)

sink_pids=() pf_started=0 relay_started=0
finish() {
  local rc=$?
  [ "$relay_started" = 1 ] && relay_stop "$work"
  if [ "$pf_started" = 1 ]; then "$BENCH_DIR/setup-postfix.sh" stop >/dev/null 2>&1 || true; fi
  for p in "${sink_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# start_sink PORT: a counting sink there, stats in $out/sink-PORT.stats
start_sink() {
  rm -f "$out/sink-$1.stats"
  "$BUILD_DIR/smtp-sink-count" --listen "127.0.0.1:$1" --stats "$out/sink-$1.stats" --idle 0 --max-time 7200 \
    2>"$out/sink-$1.err" &
  sink_pids+=($!)
  for _ in $(seq 1 50); do [ -s "$out/sink-$1.stats" ] && return 0; sleep 0.1; done
  log "sink on $1 did not start (see $out/sink-$1.err)"; return 1
}

# wait_drained PORT: until the sink on PORT has received nothing for 2 s (at most $drain_max s)
wait_drained() {
  sink_quiet "$out/sink-$1.stats" "$drain_max" || log "deliveries to $1 still running after ${drain_max}s; going on"
}

emit() { echo "$*" | tee -a "$results"; }

# relay_cpu: CPU seconds so far of the relay's JVM and of its PostgreSQL (every process of the account it runs
# as), "JVM PG"; "- -" for Postfix. Backends that exited take their CPU with them: the relay's pool keeps its own.
relay_cpu() {
  local label=$1 pid tck
  if [ "$label" != relay ]; then echo "- -"; return; fi
  pid=$(head -1 "$work/relay.pid" 2>/dev/null) tck=$(getconf CLK_TCK)
  awk -v t="$tck" '{ printf "%.2f ", ($14 + $15) / t }' "/proc/$pid/stat" 2>/dev/null || printf -- "- "
  # from /proc, in clock ticks: ps's cumulative times are whole seconds per process
  for p in $(pgrep -u relay-postgres 2>/dev/null); do cat "/proc/$p/stat" 2>/dev/null; done \
    | awk -v t="$tck" '{ s += $14 + $15 } END { printf "%.2f\n", s / t }'
}

# cpu_fields BEFORE AFTER DELIVERED: relay CPU per delivered message over one level (its RateLoad run and the
# drain after it), JVM and PostgreSQL apart
cpu_fields() {
  awk -v b="$1" -v a="$2" -v n="$3" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    if (x[1] == "-" || n < 1) { print "cpu_ms_per_msg=- jvm_ms_per_msg=- pg_ms_per_msg=- delivered=" n; exit }
    j = (y[1] - x[1]) * 1000 / n; p = (y[2] - x[2]) * 1000 / n
    printf "cpu_ms_per_msg=%.3f jvm_ms_per_msg=%.3f pg_ms_per_msg=%.3f delivered=%d\n", j + p, j, p, n }'
}

# measure LABEL TARGET SINK_PORT: warm-up, maximum, levels
measure() {
  local label=$1 target=$2 sink=$3 line max rate pct
  log "$label: warm-up (smtp-load, $((max_n / 4)) messages)"
  "$BUILD_DIR/smtp-load" --target "$target" -n $((max_n / 4)) -c "$max_c" -s "$size" --per-conn "$per_conn" \
    --run-id "w$stamp$label" --timeout 300 -q >/dev/null || true
  wait_drained "$sink"
  if [ -n "$fixed_max" ]; then
    max=$fixed_max
    emit "label=$label level=max given=1 msgs_per_s=$max"
  else
    log "$label: maximum (smtp-load closed loop, $max_n messages, $max_c sessions)"
    line=$("$BUILD_DIR/smtp-load" --target "$target" -n "$max_n" -c "$max_c" -s "$size" --per-conn "$per_conn" \
      --run-id "m$stamp$label" --timeout 300 -q) || true
    max=$(kv msgs_per_s "$line")
    emit "label=$label level=max sessions=$max_c per_conn=$per_conn size=$size $line"
  fi
  if [ -z "$max" ] || [ "$(awk -v m="$max" 'BEGIN { print (m < 1) }')" = 1 ]; then
    log "$label: no maximum rate measured; skipping its levels"; return 0
  fi
  wait_drained "$sink"
  local step=0
  for pct in $levels; do
    step=$((step + 1))
    rate=$(awk -v m="$max" -v p="$pct" 'BEGIN { printf "%.1f", m * p / 100 }')
    log "$label: $pct % = $rate msg/s for ${warmup}+${duration} s"
    cpu0=$(relay_cpu "$label") sent0=$(stat_get messages "$out/sink-$sink.stats")
    # RateLoad's young generation holds a whole level's garbage (30-40 MB/s at 2,500 msg/s): with the default
    # sizing its young collections, slowed by the saturated machine, paused the load 40-150 ms at 80 %, and every
    # 250 read during a pause was charged to the server (rateload-gc-*.log)
    line=$(java -Xms4g -Xmx4g -Xmn3g -XX:+UseParallelGC -XX:-UseAdaptiveSizePolicy \
      -Drateload.trace="$out/trace-$label-$pct-$step.txt" \
      -Xlog:gc:file="$out/rateload-gc-$label-$pct.log" -cp "$root/benchmarks/target/benchmarks.jar" \
      dev.relay.benchmarks.RateLoad --target "$target" --rate "$rate" --duration "$duration" --warmup "$warmup" \
      --size "$size" --sessions "$sessions" --per-conn "$per_conn" --run-id "l$stamp$label$pct" \
      --label "$label" 2>>"$out/rateload.err") || true
    if [ -z "$line" ]; then
      log "$label: RateLoad printed no result (stale benchmarks.jar? run without --no-build); its errors:"
      tail -5 "$out/rateload.err" >&2
      exit 1
    fi
    wait_drained "$sink"
    cpu=$(cpu_fields "$cpu0" "$(relay_cpu "$label")" $(( $(stat_get messages "$out/sink-$sink.stats") - sent0 )))
    emit "level=$pct max_msgs_per_s=$max $line $cpu"
  done
}

log "results in $results"
emit "# latency-bench $(date -u +%Y-%m-%dT%H:%M:%SZ) size=$size duration=$duration warmup=$warmup levels=\"$levels\"" \
  "per_conn=$per_conn sessions=$sessions max_n=$max_n max_c=$max_c nproc=$(nproc)"

start_sink 2627
relay_prepare "$work"
relay_started=1
relay_start "$root" "$work"
grep -q "relay ready" "$work/relay.log" || { log "relay did not start (see $work/relay.log)"; exit 1; }
measure relay 127.0.0.1:2525 2627
relay_stop "$work"
relay_started=0

if [ "$postfix" = 1 ]; then
  start_sink 2626
  "$BENCH_DIR/setup-postfix.sh" status | grep -q '^running=yes' || pf_started=1
  "$BENCH_DIR/setup-postfix.sh" start >"$out/postfix-setup.log" 2>&1 || { log "setup-postfix.sh failed"; exit 1; }
  "$BENCH_DIR/setup-postfix.sh" purge >/dev/null 2>&1 || true
  measure postfix 127.0.0.1:2625 2626
  emit "# postfix_queue_left=$("$BENCH_DIR/setup-postfix.sh" queue)"
fi

# the table: one row per step
echo
awk '
  /^#/ { next }
  {
    delete f
    for (i = 1; i <= NF; i++) { n = index($i, "="); if (n) f[substr($i, 1, n - 1)] = substr($i, n + 1) }
    if (f["level"] == "max")
      printf "%-8s %6s %10s %10s %9s %9s %9s %9s %9s %9s %6s\n", f["label"], "max", "-", f["msgs_per_s"],
        f["p50_ms"], f["p99_ms"], "-", "-", "-", "-", f["tempfail"] + f["permfail"] + f["errors"]
    else
      printf "%-8s %5s%% %10s %10s %9s %9s %9s %9s %9s %9s %6s %8s\n", f["label"], f["level"], f["rate_target"],
        f["rate_achieved"], f["service_p50_ms"], f["service_p99_ms"], f["service_p999_ms"], f["response_p50_ms"],
        f["response_p99_ms"], f["response_p999_ms"], f["tempfail"] + f["permfail"] + f["errors"] + f["unfinished"],
        f["cpu_ms_per_msg"]
  }
  BEGIN { printf "%-8s %6s %10s %10s %9s %9s %9s %9s %9s %9s %6s %8s\n", "server", "level", "target/s", "achieved/s",
            "svc_p50", "svc_p99", "svc_p999", "resp_p50", "resp_p99", "resp_p999", "failed", "cpu_ms" }
' "$results"
echo "(ms; svc = final dot -> 250, resp = scheduled arrival -> 250; the max row is smtp-load closed loop: p50/p99;"
echo " cpu_ms = relay JVM + its PostgreSQL per delivered message during the level)"
