#!/usr/bin/env bash
# Issues a certificate signed by the test CA in DIR: NAME.key (EC P-256, mode 0600), NAME.csr and
# NAME.pem with CN and the X.509 extensions given as openssl config lines (empty: a device's,
# sign-csr.sh's default). make-device.sh and make-server.sh call it.
# Usage: issue-cert.sh DIR NAME CN [EXTENSIONS]
# Idempotent: an existing NAME.pem with its key is kept.
# Validity: DAYS, or NOT_BEFORE/NOT_AFTER, as sign-csr.sh takes them.
set -euo pipefail

usage="usage: issue-cert.sh DIR NAME CN [EXTENSIONS]"
dir=${1:?$usage} name=${2:?$usage} cn=${3:?$usage} extensions=${4:-}
[ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] || { echo "issue-cert: no CA in $dir; run make-ca.sh $dir" >&2; exit 1; }
if [ -f "$dir/$name.pem" ] && [ -f "$dir/$name.key" ]; then exit 0; fi

if [ ! -f "$dir/$name.key" ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key")
fi
chmod 600 "$dir/$name.key"
openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$dir/$name.csr"

"$(dirname "$0")/sign-csr.sh" "$dir" "$dir/$name.csr" "$dir/$name.pem" "$extensions" >/dev/null
echo "issue-cert: $dir/$name.pem"
