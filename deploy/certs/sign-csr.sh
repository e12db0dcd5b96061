#!/usr/bin/env bash
# Signs a CSR with the test CA in DIR (ca.pem, ca.key); used by make-device.sh and make-server.sh.
# Usage: sign-csr.sh DIR CSR OUT_CERT EXTENSIONS_FILE
# Validity: DAYS (default 825) from now, or NOT_BEFORE/NOT_AFTER as YYYYMMDDHHMMSSZ, which can lie
# in the past (tests make expired certificates this way; `openssl x509 -req` in OpenSSL 3.0 cannot).
set -euo pipefail

dir=$1 csr=$2 out=$3 extensions=$4
[ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] || { echo "sign-csr: no CA in $dir; run make-ca.sh $dir" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
  -in "$csr" -out "$out" -extfile "$extensions" "${validity[@]}" 2>"$work/log" \
  || { cat "$work/log" >&2; exit 1; }
