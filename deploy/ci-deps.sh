#!/usr/bin/env bash
# Installs the tools the deploy checks need besides Go: promtool, taken from
# Debian's prometheus package. Only the promtool binary is installed, so no
# Prometheus server (and no service of its own) lands on the machine.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
	promtool --version | head -n1
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0777 "$tmp" # apt-get download writes as the _apt user
apt-get update -qq
(cd "$tmp" && apt-get download -qq prometheus)
dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
install -m 0755 "$tmp/root/usr/bin/promtool" /usr/local/bin/promtool
promtool --version | head -n1
