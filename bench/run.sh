#!/usr/bin/env bash
# make bench: the core benchmark table, then the daemon's peak RSS at 10k readings/s.
set -euo pipefail
build=${1:-build}
seconds=${RSS_SECONDS:-20}
source "$(dirname "$0")/sim_config.sh"

"$build/bench/edgegw_bench" ${BENCH_ARGS:-}
"$build/bench/edgegw_drain_bench" ${BENCH_ARGS:-}
"$build/bench/edgegw_modbus_bench" ${BENCH_ARGS:-}
bash "$(dirname "$0")/api_bench.sh" "$build"
bash "$(dirname "$0")/cpu_bench.sh" "$build"

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
write_sim_config "$work/rss.toml" "$work" bench-gw 127.0.0.1:0
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
