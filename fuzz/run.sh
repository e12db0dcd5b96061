#!/usr/bin/env bash
# fuzz/run.sh BUILD SECONDS: runs every fuzzer in BUILD/fuzz for SECONDS each, starting from its
# committed seeds (fuzz/corpus/<name>/) and past findings (fuzz/regressions/<name>/), neither
# written to, plus what earlier local runs found (BUILD/fuzz-corpus/<name>/). A crash stops the
# run with libFuzzer's report; the input that caused it is in BUILD/fuzz-crashes/: fix the
# code, and commit the input to fuzz/regressions/<name>/, which the unit tests replay.
set -euo pipefail
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/fuzz-crashes"
for fuzzer in "$build"/fuzz/fuzz_*; do
  name=${fuzzer##*/fuzz_}
  mkdir -p "$build/fuzz-corpus/$name"
  inputs=("$build/fuzz-corpus/$name" "$here/corpus/$name")
  [ -d "$here/regressions/$name" ] && inputs+=("$here/regressions/$name")
  echo "fuzz: $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-crashes/$name-" "${inputs[@]}"
done
