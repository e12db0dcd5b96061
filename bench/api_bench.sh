#!/usr/bin/env bash
# API under load: wrk against /api/v1/status and /metrics for 10 s each on loopback while the
# gateway ingests 10k readings/s from the simulator, next to 10 s without load, all in one run.
# Usage: bench/api_bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
seconds=${API_BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "api bench: wrk is missing (Debian package wrk; scripts/install-deps.sh test installs it)" >&2; exit 1; }

work=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
source "$(dirname "$0")/sim_config.sh"
write_sim_config "$work/api.toml" "$work" bench-api "127.0.0.1:$port"
echo "max_connections = 256" >> "$work/api.toml"
"$build/gateway/edgegw" run --config "$work/api.toml" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

accepted() {
  curl -sf "$base/api/v1/status" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["readings"]["accepted"])'
}
# Readings accepted per second over `seconds`, while "$@" runs (or just waiting).
ingest_rate() {
  local before after
  before=$(accepted)
  "$@"
  after=$(accepted)
  echo $(( (after - before) / seconds ))
}
load() { wrk -t2 -c32 -d"${seconds}s" --latency "$base$1" > "$work/wrk.txt"; }

sleep 2  # let the simulator reach its rate
idle_rate=$(ingest_rate sleep "$seconds")
status_rate=$(ingest_rate load /api/v1/status)
status_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
status_p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
metrics_rate=$(ingest_rate load /metrics)
metrics_rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
metrics_p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")

printf '\nedgegw API under load (wrk -t2 -c32, %ss each, gateway ingesting ~10k readings/s)\n\n' "$seconds"
printf '%-34s %14s %10s %18s\n' "load" "requests/s" "p99" "ingest readings/s"
printf '%-34s %14s %10s %18s\n' "none" "-" "-" "$idle_rate"
printf '%-34s %14s %10s %18s\n' "GET /api/v1/status" "$status_rps" "$status_p99" "$status_rate"
printf '%-34s %14s %10s %18s\n' "GET /metrics" "$metrics_rps" "$metrics_p99" "$metrics_rate"
printf 'target: /api/v1/status >= 10k req/s; ingest unaffected within noise\n'
printf '{"ingest_idle":%s,"status_rps":%s,"status_p99":"%s","ingest_during_status":%s,"metrics_rps":%s,"metrics_p99":"%s","ingest_during_metrics":%s}\n' \
  "$idle_rate" "$status_rps" "$status_p99" "$status_rate" "$metrics_rps" "$metrics_p99" "$metrics_rate"
