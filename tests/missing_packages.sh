# shellcheck shell=bash
# Sourced by shell tests: what a test does when Debian packages it needs are not installed.
# The same rule as tests/missing_package.h for GoogleTest: on a developer's machine the test
# reports itself skipped (exit 77, registered with ctest as SKIP_RETURN_CODE); under CI=true
# it fails (exit 1), because CI has run `scripts/install-deps.sh test` and a missing package
# there is a broken install that a skip would hide.
#
#   require_program <Debian package> <executable it installs>
#   require_python_module <Debian package> <python interpreter> <module it must import>
#   exit_if_packages_missing <test name>    (once, after the require_ lines)
#
# Every gap is collected first, so one run names every missing package.

missing_packages=()
missing_reasons=()

require_program() {
  [ -x "$2" ] && return 0
  missing_packages+=("$1")
  missing_reasons+=("$1 (no $2)")
}

require_python_module() {
  "$2" -c "import $3" 2> /dev/null && return 0
  missing_packages+=("$1")
  missing_reasons+=("$1 ($2 cannot import $3)")
}

exit_if_packages_missing() {
  [ ${#missing_packages[@]} -eq 0 ] && return 0
  local verdict=skipped status=77
  if [ "${CI:-}" = true ]; then
    verdict="failed (CI=true)"
    status=1
  fi
  local reason
  for reason in "${missing_reasons[@]}"; do
    echo "$1: $verdict: missing Debian package $reason" >&2
  done
  echo "$1: scripts/install-deps.sh test installs them (apt-get install ${missing_packages[*]})" >&2
  exit $status
}
