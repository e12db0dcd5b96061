#!/usr/bin/env bash
# make bench: the core benchmark table, then the daemon's peak RSS at 10k readings/s.
set -euo pipefail
build=${1:-build}
seconds=${RSS_SECONDS:-20}

"$build/bench/edgegw_bench" ${BENCH_ARGS:-}
"$build/bench/edgegw_drain_bench" ${BENCH_ARGS:-}
bash "$(dirname "$0")/api_bench.sh" "$build"

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/rss.toml" <<TOML
gateway_id = "bench-gw"
log_level = "warn"
[storage]
path = "$work/buffer.db"
[bundle]
max_latency_s = 5
[uplink]
directory = "$work/outbox"
[api]
listen = "127.0.0.1:0"
[[adapters]]
type = "simulator"
profile = "crane"
rate_scale = 208.34   # 48 readings/s x 208.34 = 10k readings/s
TOML
"$build/gateway/edgegw" run --config "$work/rss.toml" &
pid=$!
sleep "$seconds"
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"
wait "$pid" || true
bundles=$(find "$work/outbox" -name '*.bundle' | wc -l)
ok=$([ "$hwm_kb" -le 16384 ] && echo yes || echo NO)
printf '(d) daemon at 10k readings/s for %ss (%s bundles written)\n' "$seconds" "$bundles"
printf '%-58s %10s %-3s %10s %8s\n' "  peak RSS (VmHWM)" "$((hwm_kb / 1024))" "MB" "<= 16 MB" "$ok"
printf '%-58s %10s %-3s\n' "  RSS at the end" "$((rss_kb / 1024))" "MB"
printf '{"daemon_peak_rss_kb":%s,"daemon_rss_kb":%s}\n' "$hwm_kb" "$rss_kb"
