#!/usr/bin/env bash
# The relay vs Postfix, end to end (load -> MTA -> sink), in ONE run of ../shared/bench/compare.sh (read its README).
#   benchmarks/acceptance-bench.sh [compare.sh options...]     e.g. -n 20000 -c 50 -s 2048 [--per-conn 10]
# Builds the relay, starts it with the embedded PostgreSQL in a fresh benchmarks/target/bench/ and lets
# compare.sh alternate Postfix and relay rounds. The relay's CPU includes its PostgreSQL (postmaster and children).
# The relay routes example.test to the harness's sink with up to 100 connections (as the bench Postfix's
# smtp_destination_concurrency_limit) reused for up to 1000 messages each.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
work="$root/benchmarks/target/bench"

case "${1:-}" in
  --start-relay)
    cd "$work"
    java -Xms1g -Xmx1g -XX:+UseParallelGC -jar "$root/engine/target/relay.jar" run --config "$work/relay.yaml" \
        >"$work/relay.log" 2>&1 &
    echo $! >"$work/relay.pid"
    for _ in $(seq 1 240); do
      grep -q "relay ready" "$work/relay.log" 2>/dev/null && break
      sleep 0.5
    done
    head -1 "$work/data/postgres/pgdata/postmaster.pid" >>"$work/relay.pid"
    exit 0 ;;
  --stop-relay)
    kill "$(head -1 "$work/relay.pid")" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$(head -1 "$work/relay.pid")" 2>/dev/null || break; sleep 0.5; done
    exit 0 ;;
esac

(cd "$root" && mvn -q -B -DskipTests package -pl engine -am)
rm -rf "$work" && mkdir -p "$work"
chmod o+x "$work"
cat >"$work/relay.yaml" <<YAML
data_dir: $work/data
smtp:
  listen: 127.0.0.1:2525
  hostname: relay.bench
  max_connections: 2000
http:
  listen: 127.0.0.1:8025
delivery:
  routes: { example.test: "127.0.0.1:2627" }
  shaping: shaping.yaml
YAML
cat >"$work/shaping.yaml" <<YAML
default: { connection_limit: 100, max_deliveries_per_connection: 1000 }
YAML
exec "$bench/compare.sh" \
  --cmd-start "'$0' --start-relay" --cmd-stop "'$0' --stop-relay" --pid-file "$work/relay.pid" \
  --target 127.0.0.1:2525 --sink-port 2627 "$@"
