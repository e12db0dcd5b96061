#!/usr/bin/env bash
# Runs the dashboard browser test against a real gateway.
#   run.sh <path to edgegw> <output dir>
# Starts `edgegw run` on a free loopback port with the chocolate simulator (a theft every few
# seconds, so there is an alarm to acknowledge) and the crane, uplink to a directory (no broker
# needed), and an API token; waits for /healthz; runs dashboard_test.py (Debian's selenium and
# chromedriver driving Debian's Chromium); stops the gateway. The screenshot and the gateway's
# log land in the output dir.
# A package the test needs that is not installed: exit 77 (ctest's "skipped"), or under CI=true
# exit 1 (tests/missing_packages.sh).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 <edgegw binary> <output dir>" >&2
  exit 2
fi
edgegw="$(realpath "$1")"
out="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
chromedriver="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# Debian's own interpreter, not whichever python3 is first on PATH: the selenium module is
# installed for this one.
python=/usr/bin/python3

# ---- What the test needs --------------------------------------------------------------------
# One line per dependency, each naming the Debian package that provides it.
# shellcheck source=tests/missing_packages.sh
source "$here/../../missing_packages.sh"
require_program python3 "$python"
require_program chromium "$chromium"
require_program chromium-driver "$chromedriver"
require_python_module python3-selenium "$python" selenium
exit_if_packages_missing run.sh

mkdir -p "$out"
out="$(realpath "$out")"
work="$(mktemp -d)"
gateway_pid=""
cleanup() {
  if [ -n "$gateway_pid" ] && kill -0 "$gateway_pid" 2> /dev/null; then
    kill -TERM "$gateway_pid" 2> /dev/null || true
    # A clean stop flushes the buffer; give it a few seconds before insisting.
    for _ in $(seq 50); do kill -0 "$gateway_pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$gateway_pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free port: bind port 0 and ask the kernel which one it gave. (It could in theory be taken
# again before the gateway binds it; on a test box that race is not worth more code.)
port="$("$python" -c 'import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')"
healthy() {
  # Straight to the gateway, never through a proxy from the environment.
  "$python" -c 'import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    opener.open(sys.argv[1], timeout=2).close()
except Exception:
    sys.exit(1)' "$1/healthz"
}

token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The gateway refuses a token file others can read; $work (mktemp -d) is private anyway.
( umask 077 && printf '%s\n' "$token" > "$work/token" )
chmod 600 "$work/token"
mkdir -p "$work/bundles"

cat > "$work/edgegw.toml" <<TOML
gateway_id = "gw-browser-test"
[storage]
path = "$work/buffer.db"
synchronous = "normal"
[bundle]
max_latency_s = 2
[uplink]
directory = "$work/bundles"
[api]
listen = "127.0.0.1:$port"
token_file = "$work/token"
[[adapters]]
type = "simulator"
profile = "chocolate"
theft_interval_s = 5
refill_after_s = 5
[[adapters]]
type = "simulator"
profile = "crane"
TOML
# The theft alarm the page shows is decided by the demo's own rules: everything from the first
# [[rules]] of deploy/config/demo.toml on.
sed -n '/^\[\[rules\]\]/,$p' "$here/../../../deploy/config/demo.toml" >> "$work/edgegw.toml"

"$edgegw" run --config "$work/edgegw.toml" > "$out/edgegw.log" 2>&1 &
gateway_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 100); do
  if healthy "$url"; then break; fi
  if ! kill -0 "$gateway_pid" 2> /dev/null; then
    echo "run.sh: the gateway exited; its log:" >&2
    cat "$out/edgegw.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! healthy "$url"; then
  echo "run.sh: no answer on $url/healthz" >&2
  exit 1
fi

status=0
EDGEGW_URL="$url" EDGEGW_TOKEN="$token" EDGEGW_SCREENSHOT="$out/dashboard.png" \
  CHROMIUM="$chromium" CHROMEDRIVER="$chromedriver" \
  "$python" -B "$here/dashboard_test.py" || status=$?
if [ $status -ne 0 ]; then
  echo "run.sh: browser test failed; gateway log in $out/edgegw.log" >&2
fi
exit $status
