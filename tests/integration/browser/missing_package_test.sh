#!/usr/bin/env bash
# The browser test's rule for a missing Debian package (tests/missing_packages.sh), shown
# without removing anything from the machine: run.sh pointed at a chromedriver that does not
# exist must fail naming chromium-driver under CI=true, and report itself skipped (77) without
# CI. Should the check let the run through, run.sh goes on to start the gateway and the browser
# and ends some other way, which fails here too.
#   missing_package_test.sh <run.sh> <edgegw binary>
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 <run.sh> <edgegw binary>" >&2
  exit 2
fi
run_sh=$1
edgegw=$2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

# <what> <expected exit status> <text stderr must hold> <CI=value or --unset=CI>
expect() {
  local what=$1 want_status=$2 want_text=$3 ci=$4 status=0
  env "$ci" CHROMEDRIVER=/nonexistent/chromedriver \
    bash "$run_sh" "$edgegw" "$work/out" > /dev/null 2> "$work/stderr" || status=$?
  if [ "$status" -ne "$want_status" ]; then
    echo "FAIL: $what: exit $status, expected $want_status; stderr:" >&2
    cat "$work/stderr" >&2
    failures=$((failures + 1))
  elif ! grep -qF -- "$want_text" "$work/stderr"; then
    echo "FAIL: $what: stderr does not say '$want_text'; stderr:" >&2
    cat "$work/stderr" >&2
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

expect "CI=true fails naming the package" 1 \
  "failed (CI=true): missing Debian package chromium-driver (no /nonexistent/chromedriver)" CI=true
expect "without CI it is skipped" 77 \
  "skipped: missing Debian package chromium-driver (no /nonexistent/chromedriver)" --unset=CI
expect "CI=false is not CI" 77 "skipped: missing Debian package chromium-driver" CI=false

[ "$failures" -eq 0 ]
