#!/usr/bin/env bash
# scripts/install-deps.sh [demo|test]: installs the Debian packages edgegw needs.
#   demo  what building the gateway and running `make demo` take (`make demo` uses this);
#   test  all of demo's and what the tests and benchmarks use (the default; `make`,
#         `make test`, `make asan` and `make bench` use this).
# The same lists work on Debian 12 (bookworm) amd64 and Raspberry Pi OS bookworm arm64.
# Idempotent: packages already present are skipped, so `make` can call it every time.
set -euo pipefail

set_name=${1:-test}

demo_packages=(
  # toolchain
  build-essential cmake pkg-config
  # libraries linked into edgegw
  libsqlite3-dev libprotobuf-dev protobuf-compiler libtomlplusplus-dev
  libspdlog-dev libfmt-dev libcli11-dev libzstd-dev libssl-dev
  libboost1.81-dev libboost-json1.81-dev libpaho-mqttpp-dev libpaho-mqtt-dev
  libmodbus-dev libgpiod-dev libsystemd-dev
  # the demo's MQTT broker and client, and the cert scripts in deploy/certs
  mosquitto mosquitto-clients openssl
)
# Added for `test` (the TLS tests also use demo's mosquitto and openssl).
test_only_packages=(
  # test and benchmark libraries
  libgtest-dev libgmock-dev libbenchmark-dev
  # for working on the code: git lists the files `make format` and `make tidy` work on; the
  # sqlite3 shell opens a buffer; ccache makes a rebuild of the same sources quick (CMakeLists.txt)
  git sqlite3 ccache
  # promtool, which checks the /metrics format in a test; wrk and curl for the API benchmark
  # and the HTTPS test
  prometheus wrk curl
  # systemd-analyze, which checks deploy/systemd/edgegw.service as systemd would load it
  systemd
  # the fuzzers (make fuzz): clang with libFuzzer and the sanitizers' runtime
  clang libclang-rt-14-dev
  # the browser the dashboard test drives (tests/integration/browser): Debian's selenium and
  # chromedriver, which Debian keeps matched to its chromium
  chromium chromium-driver python3-selenium
  # the Modbus server the modbus adapter's tests and benchmark talk to (pymodbus imports
  # pyserial and its asyncio part even for TCP), and socat for the RTU test's PTY pair
  python3-pymodbus python3-serial python3-serial-asyncio socat
  # the cloud-side decoder's tests (deploy/decoder): the protobuf and zstd runtimes it runs on,
  # botocore's Stubber for its AWS calls, PyYAML to read the CloudFormation template
  python3-protobuf python3-zstandard python3-boto3 python3-botocore python3-yaml
  # the container image (make image-test): podman builds it, debootstrap makes its bases;
  # docker-compose parses docker/compose.yaml
  podman debootstrap docker-compose
)

case $set_name in
  demo) packages=("${demo_packages[@]}") ;;
  test) packages=("${demo_packages[@]}" "${test_only_packages[@]}") ;;
  *)
    echo "usage: $0 [demo|test]" >&2
    exit 2
    ;;
esac

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
echo "install-deps ($set_name): installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
