#!/usr/bin/env bash
# Signs a certificate signing request with the CA in DIR: the CSR's subject is kept, the
# X.509 extensions are EXTENSIONS (openssl config lines; default: a device's, for MQTT mutual
# TLS), the certificate is written to OUT. For a CSR made on the device (`edgegw keygen`)
# when you run your own CA, and for the test cloud that signs provisioning requests.
# Usage: sign-csr.sh DIR CSR OUT [EXTENSIONS]
# Validity: DAYS (default 825) from now, or NOT_BEFORE/NOT_AFTER as YYYYMMDDHHMMSSZ, which can lie
# in the past (tests make expired certificates this way; `openssl x509 -req` in OpenSSL 3.0 cannot).
set -euo pipefail

usage="usage: sign-csr.sh DIR CSR OUT [EXTENSIONS]"
dir=${1:?$usage} csr=${2:?$usage} out=${3:?$usage}
extensions=${4:-"\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid"}
[ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] || { echo "sign-csr: no CA in $dir; run make-ca.sh $dir" >&2; exit 1; }

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
  -in "$csr" -out "$out" -extfile "$work/extensions.cnf" "${validity[@]}" \
  2>"$work/log" || { cat "$work/log" >&2; exit 1; }
echo "sign-csr: $out"
