#!/usr/bin/env bash
# make demo: a local mosquitto broker with mutual TLS on loopback (certificates made by
# deploy/certs/), and edgegw publishing the chocolate and crane simulators to it.
# Ctrl-C stops both. Everything lives in build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
demo=$build/demo
port=18883  # must match deploy/config/demo.toml
mkdir -p "$demo/certs"
deploy/certs/make-all.sh "$demo/certs" demo-gw localhost >/dev/null

cat > "$demo/mosquitto.conf" <<CONF
# Written by scripts/demo.sh: TLS only, clients must show a certificate from the demo CA.
listener $port 127.0.0.1
cafile $demo/certs/ca.pem
certfile $demo/certs/server.pem
keyfile $demo/certs/server.key
require_certificate true
use_identity_as_username true
persistence false
log_dest file $demo/mosquitto.log
# Without it mosquitto holds a small PUBACK back (Nagle) while the gateway's TCP stack delays
# its ACK: the last bundle of a burst, and every lone alarm, waits about 40 ms for its PUBACK.
set_tcp_nodelay true
CONF
# Started as root, mosquitto would switch to its own user and could not read the keys.
[ "$(id -u)" -eq 0 ] && echo "user root" >> "$demo/mosquitto.conf"

/usr/sbin/mosquitto -c "$demo/mosquitto.conf" &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  kill -0 $broker 2>/dev/null || { echo "demo: mosquitto did not start; see $demo/mosquitto.log" >&2; exit 1; }
  sleep 0.1
done
echo "demo: mosquitto (TLS, port $port) is up; watch bundles arrive with:"
echo "  mosquitto_sub -h localhost -p $port --cafile $demo/certs/ca.pem --cert $demo/certs/demo-gw.pem --key $demo/certs/demo-gw.key -t 'edgegw/#' -v"
"$build/gateway/edgegw" run --config deploy/config/demo.toml
