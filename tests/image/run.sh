#!/usr/bin/env bash
# tests/image/run.sh: builds the container image as CI does (docker/build-image.sh
# --local-bases: podman, chroot isolation, base images made here, no pulls) and checks it from
# the outside, as no container can run on this machine (the sandbox refuses setrlimit):
#   1. podman image inspect: the user, the volume, the healthcheck, the entrypoint, the stop
#      signal the Dockerfile promises;
#   2. the runtime rootfs (podman create + export) has every library the binary links;
#   3. the image's own edgegw, run in that rootfs (chroot, as the image's user), ingests its
#      simulators and publishes over mutual TLS to a mosquitto on loopback, answers its own
#      HEALTHCHECK command and decodes what it sent.
# `make image-test` runs it; root only (chroot, podman's storage). Exit 77: a package missing
# (1 under CI=true).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../missing_packages.sh
. "$root/tests/missing_packages.sh"
require_program podman /usr/bin/podman
require_program debootstrap /usr/sbin/debootstrap
require_program mosquitto /usr/sbin/mosquitto
require_program mosquitto-clients /usr/bin/mosquitto_sub
exit_if_packages_missing image_test
[ "$(id -u)" -eq 0 ] || { echo "image_test: needs root (chroot)" >&2; exit 1; }

tag=localhost/edgegw:image-test
work=$(mktemp -d /tmp/edgegw-image-test.XXXX)
container=""
gateway=""
broker=""
cleanup() {
  [ -n "$gateway" ] && kill "$gateway" 2> /dev/null && wait "$gateway" 2> /dev/null
  [ -n "$broker" ] && kill "$broker" 2> /dev/null && wait "$broker" 2> /dev/null
  [ -n "$container" ] && podman rm -f "$container" > /dev/null 2>&1
  umount "$work/rootfs/proc" 2> /dev/null
  rm -rf --one-file-system "$work"
  # The build stage's layers, left without a name by each build of a changed tree.
  podman image prune -f > /dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  echo "image_test: FAIL: $*" >&2
  exit 1
}

echo "image_test: building $tag"
"$root/docker/build-image.sh" --local-bases "$tag" > "$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log"; fail "the image did not build (log above)"; }

echo "image_test: 1. what podman image inspect shows"
podman image inspect --format '{{json .}}' "$tag" > "$work/config.json"
/usr/bin/python3 - "$work/config.json" << 'PY' || fail "the image's config is not what the Dockerfile promises"
import json, sys
image = json.load(open(sys.argv[1]))
image = image[0] if isinstance(image, list) else image
config = image["Config"]
# podman shows a Docker-format image's healthcheck beside its config, not in it.
config.setdefault("Healthcheck", image.get("Healthcheck"))
checks = {
    "user edgegw": config.get("User") == "edgegw",
    "volume /var/lib/edgegw": "/var/lib/edgegw" in (config.get("Volumes") or {}),
    "entrypoint edgegw": config.get("Entrypoint") == ["edgegw"],
    "cmd run --config": config.get("Cmd") == ["run", "--config", "/etc/edgegw/edgegw.toml"],
    "stop signal SIGTERM": config.get("StopSignal") == "SIGTERM",
    "healthcheck edgegw healthcheck": (config.get("Healthcheck") or {}).get("Test", [])[1:3]
        == ["edgegw", "healthcheck"],
    "port 8080": "8080/tcp" in (config.get("ExposedPorts") or {}),
}
for name, ok in checks.items():
    print(f"  {'ok  ' if ok else 'FAIL'} {name}")
sys.exit(0 if all(checks.values()) else 1)
PY

echo "image_test: 2. the runtime rootfs has every library the binary links"
container=$(podman create "$tag")
mkdir "$work/rootfs"
podman export "$container" | tar -C "$work/rootfs" -xf -
binary=/usr/local/bin/edgegw
[ -x "$work/rootfs$binary" ] || fail "no $binary in the image"
chroot "$work/rootfs" /usr/bin/ldd "$binary" > "$work/ldd.txt" 2>&1 || { cat "$work/ldd.txt"; fail "ldd failed in the image"; }
if grep -q "not found" "$work/ldd.txt"; then
  grep "not found" "$work/ldd.txt"
  fail "the image lacks libraries the binary links"
fi
echo "  ok   $(grep -c '=>' "$work/ldd.txt") libraries, none missing"
[ -z "$(find "$work/rootfs/usr/bin" -name 'g++*' -o -name cmake)" ] || fail "the runtime image holds the toolchain"

echo "image_test: 3. the image's edgegw publishes to mosquitto on loopback"
certs=$work/certs
"$root/deploy/certs/make-all.sh" "$certs" edgegw-image localhost > /dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
api_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/mosquitto.conf" << CONF
listener $port 127.0.0.1
cafile $certs/ca.pem
certfile $certs/server.pem
keyfile $certs/server.key
require_certificate true
use_identity_as_username true
persistence false
log_dest file $work/mosquitto.log
user root
CONF
/usr/sbin/mosquitto -c "$work/mosquitto.conf" &
broker=$!

# The image's user owns the state volume; the certificates go in as a compose mount would.
uid=$(chroot "$work/rootfs" id -u edgegw)
install -d -m 0755 "$work/rootfs/etc/edgegw/certs"
install -m 0644 "$certs/ca.pem" "$certs/edgegw-image.pem" "$work/rootfs/etc/edgegw/certs/"
install -m 0600 -o "$uid" "$certs/edgegw-image.key" "$work/rootfs/etc/edgegw/certs/"
printf '127.0.0.1\tlocalhost\n' > "$work/rootfs/etc/hosts"
# The image's own config, pointed at this broker and a free API port.
sed -e "s/^host = .*/host = \"localhost\"/" -e "s/^port = .*/port = $port/" \
    -e "s/edgegw-docker/edgegw-image/g" -e "s/^listen = .*/listen = \"127.0.0.1:$api_port\"/" \
    -e 's/^max_latency_s = .*//' "$work/rootfs/etc/edgegw/edgegw.toml" > "$work/rootfs/etc/edgegw/test.toml"
printf '\n[bundle]\nmax_latency_s = 1\n' >> "$work/rootfs/etc/edgegw/test.toml"
mount -t proc proc "$work/rootfs/proc"

for _ in $(seq 100); do
  (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break
  sleep 0.1
done
mosquitto_sub -h localhost -p "$port" --cafile "$certs/ca.pem" --cert "$certs/edgegw-image.pem" \
  --key "$certs/edgegw-image.key" -i image-test-sub -t 'edgegw/edgegw-image/telemetry' -C 1 -N -W 60 \
  > "$work/one.bundle" &
subscriber=$!
sleep 0.5
chroot --userspec=edgegw:edgegw "$work/rootfs" /usr/local/bin/edgegw run \
  --config /etc/edgegw/test.toml > "$work/edgegw.log" 2>&1 &
gateway=$!
wait "$subscriber" || { cat "$work/edgegw.log"; fail "no bundle reached the broker within 60 s"; }
chroot "$work/rootfs" /usr/local/bin/edgegw decode < "$work/one.bundle" > "$work/decoded.json" ||
  fail "the published bundle does not decode"
grep -q '"gateway_id":"edgegw-image"' "$work/decoded.json" || fail "the bundle is not the gateway's: $(head -c 300 "$work/decoded.json")"
echo "  ok   a bundle of $(grep -o '"ts_ms"' "$work/decoded.json" | wc -l) readings arrived and decodes"
chroot --userspec=edgegw:edgegw "$work/rootfs" /usr/local/bin/edgegw healthcheck \
  --config /etc/edgegw/test.toml || fail "the image's HEALTHCHECK command fails on a running gateway"
kill -TERM "$gateway"
wait "$gateway" || fail "the gateway did not stop cleanly on SIGTERM: $(tail -n 5 "$work/edgegw.log")"
gateway=""
[ -s "$work/rootfs/var/lib/edgegw/buffer.db" ] || fail "no buffer in the state volume"
echo "image_test: ok"
