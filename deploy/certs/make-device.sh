#!/usr/bin/env bash
# Makes a device (client) certificate signed by the CA in DIR: THING.key (EC P-256, 0600),
# THING.csr and THING.pem with CN = THING, for MQTT mutual TLS (AWS IoT thing, Azure x509 device)
# or a client of an HTTPS API that asks for certificates ([api.tls] client_ca_file).
# Usage: make-device.sh DIR THING_NAME. Idempotent: an existing THING.pem is kept.
# Validity: DAYS (default 825), or NOT_BEFORE/NOT_AFTER (YYYYMMDDHHMMSSZ) for past-dated tests.
set -euo pipefail

dir=${1:?usage: make-device.sh DIR THING_NAME}
thing=${2:?usage: make-device.sh DIR THING_NAME}
# The extensions are sign-csr.sh's default: a TLS client's.
"$(dirname "$0")/issue-cert.sh" "$dir" "$thing" "$thing"
