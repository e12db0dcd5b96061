#!/usr/bin/env bash
# docker/build-image.sh [--local-bases] [TAG]: builds docker/Dockerfile into the image TAG
# (default edgegw:latest) with podman (`make image` runs it).
#   --local-bases  makes the two base images the Dockerfile names, debian:bookworm and
#                  debian:bookworm-slim, here (debootstrap --variant=minbase from the Debian
#                  mirror apt already uses, imported with podman) and never pulls: for a
#                  machine without a registry, as CI builds it. The tree is kept as a tar in
#                  build/image-bases/ and reused.
# Without it podman pulls the bases from the registry it is configured with.
set -euo pipefail
cd "$(dirname "$0")/.."
local_bases=false
if [ "${1:-}" = "--local-bases" ]; then
  local_bases=true
  shift
fi
tag=${1:-edgegw:latest}
command -v podman > /dev/null || { echo "build-image: podman is not installed (apt-get install podman)" >&2; exit 1; }

pull=()
if $local_bases; then
  pull=(--pull=never)
  if ! podman image exists docker.io/library/debian:bookworm ||
     ! podman image exists docker.io/library/debian:bookworm-slim; then
    tarball=build/image-bases/bookworm-minbase.tar
    if [ ! -f "$tarball" ]; then
      mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2> /dev/null | head -n 1)
      [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2> /dev/null)
      [ -n "$mirror" ] || { echo "build-image: no Debian mirror in the apt sources" >&2; exit 1; }
      mkdir -p build
      tree=$(mktemp -d build/image-bases.XXXX)
      echo "build-image: debootstrap bookworm from $mirror (a minute or two)"
      debootstrap --variant=minbase bookworm "$tree" "$mirror" > "$tree.log" 2>&1 ||
        { echo "build-image: debootstrap failed; see $tree.log" >&2; exit 1; }
      # The packages debootstrap fetched stay in apt's cache: not part of an image.
      rm -f "$tree"/var/cache/apt/archives/*.deb
      mkdir -p build/image-bases
      tar -C "$tree" -cf "$tarball" . && rm -rf --one-file-system "$tree" "$tree.log"
    fi
    # One minbase tree serves both names: the build stage installs its toolchain itself, and
    # minbase is as small as bookworm-slim.
    podman import "$tarball" docker.io/library/debian:bookworm > /dev/null
    podman tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
  fi
fi
# chroot isolation: no user namespaces or container runtime needed, which a sandboxed build
# host (and CI here) may not offer. Docker's image format: the OCI format has no HEALTHCHECK,
# and podman would drop it.
podman build --isolation chroot --format docker "${pull[@]}" -f docker/Dockerfile -t "$tag" .
