#!/usr/bin/env bash
# scripts/install.sh [BUILD]: installs edgegw as a systemd service (`make install` runs it).
#   /opt/edgegw/releases/<version>/bin/edgegw   the binary (debug sections stripped)
#   /opt/edgegw/current -> releases/<version>   the release that runs; update-software jobs
#                                               switch it (docs/jobs.md)
#   /etc/systemd/system/edgegw.service          deploy/systemd/edgegw.service
#   /etc/edgegw/edgegw.toml                     deploy/config/chocolate.toml, unless one is there
#   /etc/edgegw/examples/                       every shipped config
# DESTDIR=<dir> installs under <dir> only (for packaging, and the install test); without it the
# script also makes the edgegw user and the gpio group, gives the user /opt/edgegw, and
# reloads systemd. Run as root. An installed release is never overwritten.
set -euo pipefail

build=${1:-build}
binary=$build/gateway/edgegw
destdir=${DESTDIR:-}
root=$destdir/opt/edgegw

if [ ! -x "$binary" ]; then
  echo "install: $binary not found; run make first" >&2
  exit 1
fi
version=$("$binary" --version | awk '{print $2}')
release=$root/releases/$version

if [ -e "$release" ]; then
  echo "install: release $version is installed already ($release)"
else
  install -d "$release/bin"
  strip --strip-debug -o "$release/bin/edgegw" "$binary"
  chmod 0755 "$release/bin/edgegw"
fi
# A new link renamed over the old one: `current` is always one release or the other.
ln -sfn "releases/$version" "$root/current.new"
mv -T "$root/current.new" "$root/current"

install -D -m 0644 deploy/systemd/edgegw.service "$destdir/etc/systemd/system/edgegw.service"
install -d -m 0755 "$destdir/etc/edgegw/examples"
install -m 0644 deploy/config/*.toml "$destdir/etc/edgegw/examples/"
if [ ! -e "$destdir/etc/edgegw/edgegw.toml" ]; then
  install -m 0644 deploy/config/chocolate.toml "$destdir/etc/edgegw/edgegw.toml"
  echo "install: /etc/edgegw/edgegw.toml is the chocolate example; edit it (docs/config.md)"
fi

if [ -z "$destdir" ]; then
  getent group gpio > /dev/null || groupadd --system gpio
  getent passwd edgegw > /dev/null ||
    useradd --system --home-dir /var/lib/edgegw --no-create-home --shell /usr/sbin/nologin \
      --user-group --groups gpio,dialout edgegw
  # update-software unpacks releases here and switches `current` as the service's user.
  chown -R edgegw:edgegw "$root"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
  echo "install: edgegw $version installed; systemctl enable --now edgegw"
else
  echo "install: edgegw $version installed under $destdir"
fi
