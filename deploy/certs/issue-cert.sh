#!/usr/bin/env bash
# Issues a certificate signed by the test CA in DIR: NAME.key (EC P-256, mode 0600), NAME.csr and
# NAME.pem with CN and the X.509 extensions given as openssl config lines. make-device.sh and
# make-server.sh call it. Usage: issue-cert.sh DIR NAME CN EXTENSIONS
# Idempotent: an existing NAME.pem with its key is kept.
# Validity: DAYS (default 825) from now, or NOT_BEFORE/NOT_AFTER as YYYYMMDDHHMMSSZ, which can lie
# in the past (tests make expired certificates this way; `openssl x509 -req` in OpenSSL 3.0 cannot).
set -euo pipefail

usage="usage: issue-cert.sh DIR NAME CN EXTENSIONS"
dir=${1:?$usage} name=${2:?$usage} cn=${3:?$usage} extensions=${4:?$usage}
[ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] || { echo "issue-cert: no CA in $dir; run make-ca.sh $dir" >&2; exit 1; }
if [ -f "$dir/$name.pem" ] && [ -f "$dir/$name.key" ]; then exit 0; fi

if [ ! -f "$dir/$name.key" ]; then
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key")
fi
chmod 600 "$dir/$name.key"
openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$dir/$name.csr"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "$extensions" >"$work/extensions.cnf"
touch "$work/index.txt"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
rand_serial = yes
unique_subject = no
default_md = sha256
policy = any_subject
copy_extensions = none
[any_subject]
commonName = supplied
CNF

validity=()
if [ -n "${NOT_BEFORE:-}" ] || [ -n "${NOT_AFTER:-}" ]; then
  : "${NOT_BEFORE:?set NOT_BEFORE with NOT_AFTER}" "${NOT_AFTER:?set NOT_AFTER with NOT_BEFORE}"
  validity=(-startdate "$NOT_BEFORE" -enddate "$NOT_AFTER")
else
  validity=(-days "${DAYS:-825}")
fi

openssl ca -batch -notext -config "$work/ca.cnf" -cert "$dir/ca.pem" -keyfile "$dir/ca.key" \
  -in "$dir/$name.csr" -out "$dir/$name.pem" -extfile "$work/extensions.cnf" "${validity[@]}" \
  2>"$work/log" || { cat "$work/log" >&2; exit 1; }
echo "issue-cert: $dir/$name.pem"
