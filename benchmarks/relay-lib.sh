# shellcheck shell=bash
# Shared by acceptance-bench.sh and latency-bench.sh (sourced): the relay under test, started from
# engine/target/relay.jar with its embedded PostgreSQL in WORK, listening on 127.0.0.1:2525 and routing
# example.test to the harness's counting sink on 127.0.0.1:2627 with up to 100 connections (as the bench
# Postfix's smtp_destination_concurrency_limit) reused for up to 1000 messages each.

# relay_prepare WORK: a fresh WORK with relay.yaml and shaping.yaml. RELAY_BENCH_SHAPING=shipped leaves the bench
# shaping file out, so the relay runs with its shipped per-site defaults (10 connections per site).
# RELAY_BENCH_DKIM=1 gives the load's From domain (load.test) DKIM keys, Ed25519 and RSA, right after the start, so
# every message is dual-signed at acceptance (issue 15's cost figure).
# RELAY_JAVA names the java binary (default: the launcher's pick, see `./relay jvm`), e.g. /usr/bin/java.
relay_prepare() {
  local work=$1
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
  admin_token_file: admin.token
delivery:
  routes: { example.test: "127.0.0.1:2627" }
YAML
  head -c 32 /dev/urandom | base64 >"$work/admin.token" && chmod 600 "$work/admin.token"
  if [ "${RELAY_BENCH_SHAPING:-bench}" != shipped ]; then
    echo "  shaping: shaping.yaml" >>"$work/relay.yaml"
  fi
  cat >"$work/shaping.yaml" <<YAML
default: { connection_limit: 100, max_deliveries_per_connection: 1000 }
YAML
}

# relay_java_opts: the JVM options of every bench relay (the launcher's RELAY_JAVA_OPTS); RELAY_GC replaces the
# collector, RELAY_JAVA_OPTS adds to them
relay_java_opts() {
  echo "-Xms1g -Xmx1g ${RELAY_GC:--XX:+UseParallelGC} ${RELAY_JAVA_OPTS:-}"
}

# relay_start ROOT WORK: starts the relay in the background through the launcher (ROOT/relay run: its JDK and its
# AOT cache, see relay_train) and waits (up to 2 min) for "relay ready"; WORK/relay.pid gets the JVM's PID (the
# launcher execs it), then the postmaster's (so the harness charges both with CPU)
relay_start() {
  local root=$1 work=$2
  (cd "$work" && RELAY_JAVA_OPTS="$(relay_java_opts)" exec "$root/relay" run --config "$work/relay.yaml" \
      >"$work/relay.log" 2>&1) &
  echo $! >"$work/relay.pid"
  for _ in $(seq 1 240); do
    grep -q "relay ready" "$work/relay.log" 2>/dev/null && break
    sleep 0.5
  done
  head -1 "$work/data/postgres/pgdata/postmaster.pid" >>"$work/relay.pid"
  if [ "${RELAY_BENCH_DKIM:-0}" = 1 ]; then
    (cd "$work" && RELAY_JAVA_OPTS="$(relay_java_opts)" "$root/relay" system dkim generate load.test \
        --selector bench --config "$work/relay.yaml" >"$work/dkim.txt" 2>&1) || cat "$work/dkim.txt" >&2
  fi
}

# relay_train ROOT WORK BENCH_DIR: when the launcher's JDK keeps an AOT cache (Java 25+) and the one for this jar
# and these options is absent, records it as a relay's first run after a build does: a relay of its own in WORK
# takes 25,000 messages (relay-bench.sh, 50 sessions, 2 KiB) and stops. RELAY_AOT=off: no cache, no training.
# A measured relay then starts with the classes and method profiles of that run instead of cold.
relay_train() {
  local root=$1 work=$2 bench=$3 state
  state=$(RELAY_JAVA_OPTS="$(relay_java_opts)" "$root/relay" jvm | sed -n 's/^aot_cache: //p')
  case "$state" in *"(absent"*) ;; *) echo "relay-lib: AOT cache: $state" >&2; return 0 ;; esac
  echo "relay-lib: training the AOT cache (25,000 messages to a relay of its own)" >&2
  relay_prepare "$work"
  relay_start "$root" "$work"
  "$bench/relay-bench.sh" --target 127.0.0.1:2525 --sink-port 2627 -n 25000 -c 50 -s 2048 --label aot-training \
    >"$work/training.txt" || true
  relay_stop "$work"
  state=$(RELAY_JAVA_OPTS="$(relay_java_opts)" "$root/relay" jvm | sed -n 's/^aot_cache: //p')
  echo "relay-lib: AOT cache: $state" >&2
}

# relay_stop WORK: stops the relay of WORK/relay.pid and waits (up to 2 min: a training run writes its AOT cache
# as it exits) for it to exit
relay_stop() {
  local work=$1 pid
  pid=$(head -1 "$work/relay.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
}

# sink_quiet STATS SECONDS: waits until a counting sink's STATS file shows no new message for 2 s (polled every
# 0.5 s), at most SECONDS; fails if deliveries were still arriving then (needs lib.sh's stat_get)
sink_quiet() {
  local stats=$1 last="" same=0 now
  for _ in $(seq 1 $(($2 * 2))); do
    now=$(stat_get messages "$stats")
    if [ "$now" = "$last" ]; then same=$((same + 1)); [ "$same" -ge 4 ] && return 0; else same=0; last=$now; fi
    sleep 0.5
  done
  return 1
}
