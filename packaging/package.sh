#!/bin/sh
# Builds the release tarball: package.sh BIN VERSION OUTDIR
# -> OUTDIR/rand-guard-VERSION-ARCH.tar.gz holding the binary, the default
# config, the rule pack, the systemd unit and install.sh.
set -eu
bin=$1 version=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
name=rand-guard-$version-$(uname -m)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/rules" "$out"
install -m 0755 "$bin" "$stage/$name/rand-guard"
install -m 0644 "$root/config/rand-guard.toml" "$stage/$name/rand-guard.toml"
install -m 0644 "$root"/config/rules/*.toml "$stage/$name/rules/"
install -m 0644 "$root/packaging/rand-guard.service" "$stage/$name/rand-guard.service"
install -m 0755 "$root/packaging/install.sh" "$stage/$name/install.sh"
tar -C "$stage" --owner=0 --group=0 -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
