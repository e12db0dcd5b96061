#!/usr/bin/env bash
# Makes a server certificate for a local broker or the HTTPS API, signed by the CA in DIR:
# server.key (EC P-256, 0600) and server.pem with SAN DNS:HOSTNAME, DNS:localhost, IP:127.0.0.1
# and IP:::1. Usage: make-server.sh DIR HOSTNAME. Idempotent: an existing server.pem is kept.
set -euo pipefail

dir=${1:?usage: make-server.sh DIR HOSTNAME}
host=${2:?usage: make-server.sh DIR HOSTNAME}
"$(dirname "$0")/issue-cert.sh" "$dir" server "$host" "\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$host, DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid"
