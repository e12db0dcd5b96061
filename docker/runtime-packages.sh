#!/usr/bin/env bash
# docker/runtime-packages.sh BINARY: prints the Debian packages that hold the shared libraries
# BINARY links, one per line, for the image's runtime stage. The C library and the dynamic
# loader are left out: every Debian image has them.
set -euo pipefail
binary=${1:?usage: runtime-packages.sh BINARY}
if ldd "$binary" | grep -q "not found"; then
  ldd "$binary" | grep "not found" >&2
  exit 1
fi
ldd "$binary" | awk '$3 ~ /^\// {print $3}' | while read -r library; do
  # The path dpkg recorded may be the link's (/lib/...) or its target's (/usr/lib/...).
  dpkg-query -S "$library" 2>/dev/null || dpkg-query -S "$(readlink -f "$library")"
done | cut -d: -f1 | sort -u | grep -v -x -e libc6 -e libgcc-s1 -e libstdc++6 || true
