#!/usr/bin/env bash
# The relay vs Postfix, end to end (load -> MTA -> sink), in ONE run of ../shared/bench/compare.sh (read its README).
#   benchmarks/acceptance-bench.sh [compare.sh options...]     e.g. -n 20000 -c 50 -s 2048 [--per-conn 10]
# Builds the relay, records its AOT cache when the launcher's JDK keeps one and it is missing (relay_train in
# relay-lib.sh), starts it with the embedded PostgreSQL in a fresh benchmarks/target/bench/ and lets compare.sh
# alternate Postfix and relay rounds. The relay's CPU includes its PostgreSQL (postmaster and children).
# The relay's configuration and its start/stop are in relay-lib.sh (shared with latency-bench.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${RELAY_BENCH_DIR:-$root/../shared/bench}"
work="$root/benchmarks/target/bench"

# shellcheck source=relay-lib.sh
. "$root/benchmarks/relay-lib.sh"

case "${1:-}" in
  --start-relay) relay_start "$root" "$work"; exit 0 ;;
  --stop-relay) relay_stop "$work"; exit 0 ;;
esac

(cd "$root" && mvn -q -B -DskipTests package -pl engine -am)
relay_train "$root" "$root/benchmarks/target/aot-training" "$bench"
relay_prepare "$work"
exec "$bench/compare.sh" \
  --cmd-start "'$0' --start-relay" --cmd-stop "'$0' --stop-relay" --pid-file "$work/relay.pid" \
  --target 127.0.0.1:2525 --sink-port 2627 "$@"
