#!/usr/bin/env bash
# Makes a device (client) certificate signed by the CA in DIR: THING.key (EC P-256, 0600),
# THING.csr and THING.pem with CN = THING, for MQTT mutual TLS (AWS IoT thing, Azure x509 device).
# Usage: make-device.sh DIR THING_NAME. Idempotent: an existing THING.pem is kept.
# Validity: DAYS (default 825), or NOT_BEFORE/NOT_AFTER (YYYYMMDDHHMMSSZ) for past-dated tests.
set -euo pipefail

dir=${1:?usage: make-device.sh DIR THING_NAME}
thing=${2:?usage: make-device.sh DIR THING_NAME}
here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$dir/$thing.pem" ] && [ -f "$dir/$thing.key" ]; then exit 0; fi

if [ ! -f "$dir/$thing.key" ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$thing.key")
fi
chmod 600 "$dir/$thing.key"
openssl req -new -key "$dir/$thing.key" -subj "/CN=$thing" -out "$dir/$thing.csr"

extensions=$(mktemp)
trap 'rm -f "$extensions"' EXIT
cat >"$extensions" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
"$here/sign-csr.sh" "$dir" "$dir/$thing.csr" "$dir/$thing.pem" "$extensions"
echo "make-device: $dir/$thing.pem"
