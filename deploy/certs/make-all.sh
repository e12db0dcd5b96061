#!/usr/bin/env bash
# Makes a test CA, a device certificate for THING and a broker certificate in DIR (see the
# three scripts it runs). Usage: make-all.sh DIR THING [HOSTNAME]. Idempotent.
set -euo pipefail

dir=${1:?usage: make-all.sh DIR THING [HOSTNAME]}
thing=${2:?usage: make-all.sh DIR THING [HOSTNAME]}
host=${3:-localhost}
here=$(cd "$(dirname "$0")" && pwd)
"$here/make-ca.sh" "$dir"
"$here/make-device.sh" "$dir" "$thing"
"$here/make-server.sh" "$dir" "$host"
