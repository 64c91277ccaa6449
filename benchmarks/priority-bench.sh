#!/usr/bin/env bash
# Priority run (issues 5 and 7): a bulk backlog drains through a rate-limited site while transactional messages
# are submitted to the same site; reports the transactional delay from the relay's 250 to arrival at the sink.
#   benchmarks/priority-bench.sh [-n 50000] [--rate 100/s] [--connections 10] [--probes 100] [--interval 0.5]
# The backlog is loaded by SQL (BacklogLoader, all bulk, 100 domains); everything is routed by `*` to one
# `relay sink` (one site), whose files' modification times are the arrivals. The bulk rate of the site is recorded
# too, to show the limit held.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/benchmarks/target/priority"
n=50000 rate=100/s connections=10 probes=100 interval=0.5 sink_port=2629
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --probes) probes=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
(cd "$root" && mvn -q -B -DskipTests package -pl engine,benchmarks -am)
rm -rf "$work" && mkdir -p "$work/sink" && chmod o+x "$work"
run_id="p$(date +%s)"
java -cp "$root/benchmarks/target/benchmarks.jar" dev.relay.benchmarks.BacklogLoader "$work/data" "$run_id" "$n" 100 1024 \
  | tail -1
cat >"$work/relay.yaml" <<YAML
data_dir: $work/data
smtp:
  listen: 127.0.0.1:2545
http:
  listen: 127.0.0.1:8045
delivery:
  routes: { "*": "127.0.0.1:$sink_port" }
  shaping: shaping.yaml
YAML
cat >"$work/shaping.yaml" <<YAML
default: { connection_limit: $connections, max_deliveries_per_connection: 1000, max_message_rate: $rate }
YAML
java -jar "$root/engine/target/relay.jar" sink --listen "127.0.0.1:$sink_port" --dir "$work/sink" >"$work/sink.log" 2>&1 &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null || true; [ -n "${relay_pid:-}" ] && kill $relay_pid 2>/dev/null || true' EXIT
(cd "$work" && exec java -Xms1g -Xmx1g -jar "$root/engine/target/relay.jar" run --config "$work/relay.yaml" \
  >"$work/relay.log" 2>&1) &
relay_pid=$!
for _ in $(seq 1 240); do grep -q "relay ready" "$work/relay.log" 2>/dev/null && break; sleep 0.5; done
# let the backlog flow for a while first, so every probe meets a busy site
sleep 10
before=$(ls "$work/sink" | wc -l)
t0=$(date +%s.%N)
python3 "$root/benchmarks/priority_probe.py" 127.0.0.1:2545 "$work/sink" "$run_id" "$probes" "$interval" 60 \
  | tee "$work/probe.out"
t1=$(date +%s.%N)
after=$(ls "$work/sink" | wc -l)
awk -v a="$before" -v b="$after" -v t0="$t0" -v t1="$t1" -v p="$probes" -v r="$rate" -v n="$n" 'BEGIN {
  printf "priority backlog=%d site_rate=%s delivered_during_probes=%d (%.1f msg/s incl. %d probes)\n",
    n, r, b - a, (b - a) / (t1 - t0), p }'
