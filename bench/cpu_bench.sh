#!/usr/bin/env bash
# The daemon's CPU per reading at the simulators' natural rates (crane + chocolate, about 60
# readings/s, max_latency_s = 60) and at 100x those rates, side by side in one run: what a Pi
# spends on the gateway when its sensors are quiet, and how much of that is per-reading work.
# Usage: bench/cpu_bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
seconds=${CPU_SECONDS:-60}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# CPU time of every thread in nanoseconds (schedstat), not clock ticks: at the natural rates a
# minute holds only a few 10 ms ticks of CPU.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%d\n", ns}'; }
accepted() {
  curl -sf "http://127.0.0.1:$1/api/v1/status" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["readings"]["accepted"])'
}

# measure NAME RATE_SCALE: prints "readings/s cpu_percent us_per_reading"
measure() {
  local name=$1 scale=$2 port dir
  port=$(free_port)
  dir="$work/$name"
  mkdir -p "$dir"
  cat > "$dir/edgegw.toml" <<TOML
gateway_id = "cpu-$name"
log_level = "warn"
[storage]
path = "$dir/buffer.db"
[bundle]
max_latency_s = 60
[uplink]
directory = "$dir/outbox"
[[adapters]]
type = "simulator"
profile = "crane"
rate_scale = $scale
[[adapters]]
type = "simulator"
profile = "chocolate"
rate_scale = $scale
[api]
listen = "127.0.0.1:$port"
TOML
  "$build/gateway/edgegw" run --config "$dir/edgegw.toml" > "$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  sleep 3  # past start-up: opening the buffer, registering series
  local t0 a0 t1 a1
  t0=$(cpu_ns "$pid"); a0=$(accepted "$port")
  sleep "$seconds"
  t1=$(cpu_ns "$pid"); a1=$(accepted "$port")
  kill -TERM "$pid"; wait "$pid" || true; pid=
  /usr/bin/python3 - "$t0" "$t1" "$a0" "$a1" "$seconds" <<'PY'
import sys
t0, t1, a0, a1, s = (float(x) for x in sys.argv[1:])
cpu_s = (t1 - t0) / 1e9
readings = max(a1 - a0, 1)
print(f"{readings / s:.0f} {100 * cpu_s / s:.3f} {1e6 * cpu_s / readings:.2f}")
PY
}

read -r low_rate low_pct low_us < <(measure natural 1)
read -r high_rate high_pct high_us < <(measure x100 100)
ratio=$(/usr/bin/python3 -c "print(f'{$low_us / max($high_us, 0.001):.1f}')")
ok_pct=$(/usr/bin/python3 -c "print('yes' if $low_pct < 1.0 else 'NO')")
ok_ratio=$(/usr/bin/python3 -c "print('yes' if $low_us <= 4 * $high_us else 'NO')")

printf '\n(c) daemon CPU, directory uplink, %ss each, one run\n' "$seconds"
printf '%-34s %12s %12s %16s\n' "rate" "readings/s" "% of a core" "us CPU/reading"
printf '%-34s %12s %12s %16s\n' "natural (crane + chocolate)" "$low_rate" "$low_pct" "$low_us"
printf '%-34s %12s %12s %16s\n' "100x" "$high_rate" "$high_pct" "$high_us"
printf '%-58s %10s %-3s %10s %8s\n' "  natural: share of one core" "$low_pct" "%" "< 1 %" "$ok_pct"
printf '%-58s %10s %-3s %10s %8s\n' "  per-reading cost, natural / 100x" "$ratio" "x" "<= 4 x" "$ok_ratio"
printf '{"cpu_natural_rate":%s,"cpu_natural_pct":%s,"cpu_natural_us_per_reading":%s,"cpu_x100_rate":%s,"cpu_x100_pct":%s,"cpu_x100_us_per_reading":%s}\n' \
  "$low_rate" "$low_pct" "$low_us" "$high_rate" "$high_pct" "$high_us"
