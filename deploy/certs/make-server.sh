#!/usr/bin/env bash
# Makes a server certificate for a local broker, signed by the CA in DIR: server.key (EC P-256,
# 0600) and server.pem with SAN DNS:HOSTNAME, DNS:localhost, IP:127.0.0.1.
# Usage: make-server.sh DIR HOSTNAME. Idempotent: an existing server.pem is kept.
set -euo pipefail

dir=${1:?usage: make-server.sh DIR HOSTNAME}
host=${2:?usage: make-server.sh DIR HOSTNAME}
here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$dir/server.pem" ] && [ -f "$dir/server.key" ]; then exit 0; fi

if [ ! -f "$dir/server.key" ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/server.key")
fi
chmod 600 "$dir/server.key"
openssl req -new -key "$dir/server.key" -subj "/CN=$host" -out "$dir/server.csr"

extensions=$(mktemp)
trap 'rm -f "$extensions"' EXIT
cat >"$extensions" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$host, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
"$here/sign-csr.sh" "$dir" "$dir/server.csr" "$dir/server.pem" "$extensions"
echo "make-server: $dir/server.pem"
