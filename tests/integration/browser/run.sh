#!/usr/bin/env bash
# Runs the dashboard browser test against a real gateway.
#   run.sh <path to edgegw> <output dir>
# Starts `edgegw run` on a free loopback port with the chocolate simulator (a theft every few
# seconds, so there is an alarm to acknowledge) and the crane, uplink to a directory (no broker
# needed), and an API token; waits for /healthz; runs dashboard.test.mjs in Chromium; stops the
# gateway. The screenshot and the gateway's log land in the output dir.
# Exit 77 (ctest's "skipped") when Chromium or Node.js is not installed.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 <edgegw binary> <output dir>" >&2
  exit 2
fi
edgegw="$(realpath "$1")"
out="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$chromium" ]; then
  echo "run.sh: skipped: no Chromium at $chromium (scripts/install-deps.sh installs it)" >&2
  exit 77
fi
if ! command -v node > /dev/null; then
  echo "run.sh: skipped: Node.js is not installed" >&2
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  # Exactly the versions in package-lock.json; playwright-core never downloads a browser.
  if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "run.sh: skipped: could not install playwright-core (npm ci in $here)" >&2
    exit 77
  fi
fi

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
# again before the gateway binds it; on a test box that race is not worth more code.) Node is
# used for this and for the health check since the test needs it anyway.
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port); s.close(); })')"
healthy() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$1/healthz"
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
  CHROMIUM="$chromium" node --test "$here/dashboard.test.mjs" || status=$?
if [ $status -ne 0 ]; then
  echo "run.sh: browser test failed; gateway log in $out/edgegw.log" >&2
fi
exit $status
