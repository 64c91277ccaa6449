#!/usr/bin/env bash
# Renders grafana/overview.png: a relay under load, scraped by a real Prometheus, the overview dashboard's own
# queries answered by Prometheus's HTTP API and drawn on a static page that headless Chromium photographs.
# Grafana itself is not used (no Debian package); see README "Prometheus and Grafana". Not run in CI.
#
# Needs: a JDK and Maven (./relay builds itself), python3, and the Debian packages prometheus and chromium
#   apt-get install -y --no-install-recommends prometheus chromium fonts-dejavu-core
# Usage: grafana/screenshot/render-overview.sh [LOAD_SECONDS]      (default 420; the picture shows the last 8 min)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-420}"
smtp_port="${SMTP_PORT:-12525}"; http_port="${HTTP_PORT:-18025}"
sink_port="${SINK_PORT:-12526}"; prom_port="${PROM_PORT:-19090}"
for tool in prometheus chromium python3 java; do
    command -v "$tool" >/dev/null || { echo "render-overview: $tool is needed" >&2; exit 1; }
done

work="$(mktemp -d /tmp/relay-overview.XXXXXX)"
chmod 755 "$work" # the embedded PostgreSQL runs as relay-postgres when we are root: it must reach its directory
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "render-overview: logs and data left in $work" >&2
}
trap cleanup EXIT

"$root/relay" help >/dev/null 2>&1 # builds engine/target/relay.jar when needed, before anything is timed

cat > "$work/relay.yaml" <<YAML
data_dir: $work/data
smtp:
  listen: 127.0.0.1:$smtp_port
  relay_networks: [127.0.0.1/32]
http:
  listen: 127.0.0.1:$http_port
delivery:
  node_name: demo
  poll_interval: 500ms
  retry: { schedule: [30s] }
  routes:
    "*": "127.0.0.1:$sink_port tls=disabled"
    "down.example": "127.0.0.1:9 tls=disabled"
YAML
cat > "$work/prometheus.yml" <<YAML
global: { scrape_interval: 5s, evaluation_interval: 5s }
scrape_configs:
  - job_name: relay
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
YAML

(cd "$work" && exec "$root/relay" sink --listen "127.0.0.1:$sink_port" --dir "$work/sink" >"$work/sink.log" 2>&1) &
pids+=($!)
(cd "$work" && exec "$root/relay" run --config "$work/relay.yaml" >"$work/relay.log" 2>&1) &
pids+=($!)
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && break
    sleep 1
done
curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null || { echo "relay did not get ready" >&2; exit 1; }

python3 "$root/grafana/screenshot/render.py" load --smtp "127.0.0.1:$smtp_port" --seconds "$seconds" --rate 30
sleep 20 # a few more scrapes after the load, so the charts show it ending

version="$(prometheus --version 2>&1 | head -1 | awk '{print $3}')"
python3 "$root/grafana/screenshot/render.py" page --prometheus "http://127.0.0.1:$prom_port" \
    --prometheus-version "$version" --dashboard "$root/grafana/dashboards/relay-overview.json" \
    --minutes "$(( (seconds + 60) / 60 ))" --out "$work/overview.html"
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1600,1900 --screenshot="$root/grafana/overview.png" "file://$work/overview.html" \
    >"$work/chromium.log" 2>&1
echo "render-overview: wrote grafana/overview.png"
