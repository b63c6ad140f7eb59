#!/usr/bin/env bash
# Release-shaped stand-ins for the "artifact" install method, built from Debian's packages
# (GitHub releases are not reachable here): prometheus-<v>.linux-<arch>.tar.gz with prometheus
# and promtool, node_exporter-<v>.linux-<arch>.tar.gz with node_exporter, and SHA256SUMS.
# They exercise the role's download/verify/unpack path with real binaries of the pinned versions.
#   standin-artifacts.sh <output dir>     (prints the output dir; reuses a complete one)
set -euo pipefail
out=$1
prometheus_deb=2.42.0+ds-5+deb12u1 prometheus_version=2.42.0
node_exporter_deb=1.5.0-1+b6 node_exporter_version=1.5.0
arch=$(dpkg --print-architecture)
mkdir -p "$out"
if [ -s "$out/SHA256SUMS" ]; then echo "$out"; exit 0; fi
work=$(mktemp -d)
chmod 0755 "$work"   # apt downloads as _apt where it can
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "prometheus=$prometheus_deb" "prometheus-node-exporter=$node_exporter_deb" >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
pr=prometheus-$prometheus_version.linux-$arch ne=node_exporter-$node_exporter_version.linux-$arch
mkdir -p "$work/$pr" "$work/$ne"
cp "$work/root/usr/bin/prometheus" "$work/root/usr/bin/promtool" "$work/$pr/"
cp "$work/root/usr/bin/prometheus-node-exporter" "$work/$ne/node_exporter"
tar -C "$work" -czf "$out/$pr.tar.gz" "$pr"
tar -C "$work" -czf "$out/$ne.tar.gz" "$ne"
(cd "$out" && sha256sum "$pr.tar.gz" "$ne.tar.gz" >SHA256SUMS.part && mv SHA256SUMS.part SHA256SUMS)
echo "$out"
