#!/usr/bin/env bash
# Installs every Debian package edgegw needs to build, test and run its demo.
# The same list works on Debian 12 (bookworm) amd64 and Raspberry Pi OS bookworm arm64.
# Idempotent: packages already present are skipped, so `make` can call it every time.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # libraries linked into edgegw
  libsqlite3-dev sqlite3 libprotobuf-dev protobuf-compiler libtomlplusplus-dev
  libspdlog-dev libfmt-dev libcli11-dev libzstd-dev libssl-dev
  libboost1.81-dev libboost-json1.81-dev libpaho-mqttpp-dev libpaho-mqtt-dev
  libmodbus-dev libgpiod-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # promtool, which checks the /metrics format in a test; wrk for the API benchmark
  prometheus wrk curl
  # the MQTT broker the TLS tests start, and the cert scripts in deploy/certs
  mosquitto mosquitto-clients openssl
  # the browser the dashboard test drives (tests/integration/browser): Debian's selenium and
  # chromedriver, which Debian keeps matched to its chromium
  chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Debian's default Boost (1.74) conflicts with the 1.81 packages edgegw builds against.
if dpkg-query -W -f='${Status}' libboost-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "install-deps: libboost-dev (Boost 1.74) is installed and conflicts with libboost1.81-dev;" >&2
  echo "install-deps: remove it first: apt-get remove libboost-dev" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
