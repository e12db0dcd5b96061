#!/usr/bin/env bash
# Makes a test certificate authority in DIR: ca.key (EC P-256, mode 0600) and ca.pem (10 years).
# Usage: make-ca.sh DIR [COMMON_NAME]. Idempotent: an existing CA in DIR is kept.
set -euo pipefail

dir=${1:?usage: make-ca.sh DIR [COMMON_NAME]}
name=${2:-edgegw test CA}
mkdir -p "$dir"
if [ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ]; then exit 0; fi

(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key")
chmod 600 "$dir/ca.key"
openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=$name" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$dir/ca.pem"
echo "make-ca: $dir/ca.pem"
