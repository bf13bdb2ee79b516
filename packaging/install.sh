#!/bin/sh
# Installs rand-guard from an unpacked release tarball.
#   ./install.sh [--prefix DIR] [--destdir DIR]     (or DESTDIR=DIR ./install.sh)
# binary -> PREFIX/bin (default /usr/local/bin), config -> /etc/rand-guard/
# (an existing config is kept; the new one lands next to it as .new),
# rules -> /etc/rand-guard/rules/, unit -> /etc/systemd/system/.
set -eu
PREFIX=/usr/local
DESTDIR=${DESTDIR:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2;;
    --prefix=*) PREFIX=${1#--prefix=}; shift;;
    --destdir) DESTDIR=$2; shift 2;;
    --destdir=*) DESTDIR=${1#--destdir=}; shift;;
    -h|--help) sed -n '2,6p' "$0"; exit 0;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 2;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
bindir=$PREFIX/bin
install -d -m 0755 "$DESTDIR$bindir" "$DESTDIR/etc/systemd/system"
install -d -m 0700 "$DESTDIR/etc/rand-guard" "$DESTDIR/etc/rand-guard/rules"
install -m 0755 "$here/rand-guard" "$DESTDIR$bindir/rand-guard"
if [ -e "$DESTDIR/etc/rand-guard/rand-guard.toml" ]; then
  install -m 0600 "$here/rand-guard.toml" "$DESTDIR/etc/rand-guard/rand-guard.toml.new"
  echo "install.sh: kept the existing /etc/rand-guard/rand-guard.toml (new default: rand-guard.toml.new)"
else
  install -m 0600 "$here/rand-guard.toml" "$DESTDIR/etc/rand-guard/rand-guard.toml"
fi
for f in "$here"/rules/*.toml; do
  install -m 0600 "$f" "$DESTDIR/etc/rand-guard/rules/"
done
sed "s|@BINDIR@|$bindir|g" "$here/rand-guard.service" > "$DESTDIR/etc/systemd/system/rand-guard.service"
chmod 0644 "$DESTDIR/etc/systemd/system/rand-guard.service"
echo "install.sh: installed rand-guard to ${DESTDIR}${bindir}"
if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
  echo "install.sh: start it with: systemctl enable --now rand-guard"
fi
