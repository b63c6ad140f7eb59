#!/usr/bin/env bash
# Build nvidia-ctk, nvidia-container-runtime and nvidia-cdi-hook (Go modules of the NVIDIA Container Toolkit)
# through the Go module proxy this machine's Go is configured with, for the container_runtime
# scenario's "artifact" install method. NVIDIA's package repository is not reachable from CI.
#
# Usage: build-nvidia-container-toolkit.sh <version> [cache dir]
# Output: <cache dir>/<version>/{nvidia-ctk,nvidia-container-runtime,nvidia-cdi-hook,SHA256SUMS}; the path of
# that directory on stdout. Cached by version: a second call with the same version is a no-op.
set -euo pipefail
version=${1:?usage: $0 <version> [cache dir]}
cache=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/gpufleet/nvidia-container-toolkit}
out=$cache/$version
module=github.com/NVIDIA/nvidia-container-toolkit
# nvidia-cdi-hook: the hooks of the CDI specification nvidia-ctk generates run it.
commands=(nvidia-ctk nvidia-container-runtime nvidia-cdi-hook)

# A cache built before a command was added to the list is rebuilt.
cached() {
  [ -s "$out/SHA256SUMS" ] || return 1
  for c in "${commands[@]}"; do grep -q "  $c\$" "$out/SHA256SUMS" || return 1; done
  (cd "$out" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1
}
if cached; then
  echo "$out"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-nvidia-container-toolkit: the go command is not on PATH; it builds $module@v$version" >&2
  exit 1
fi

# Two scenarios (or checkouts) may ask at once: one builds, the other waits and reuses it.
mkdir -p "$cache"
exec 9>"$cache/.$version.lock"
flock 9
if cached; then
  echo "$out"
  exit 0
fi
tmp=$(mktemp -d "$cache/.build-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
targets=()
for c in "${commands[@]}"; do targets+=("$module/cmd/$c@v$version"); done
# -trimpath and a fixed version string keep the binaries reproducible for a given Go toolchain.
GOBIN=$tmp GOFLAGS=-buildvcs=false nice go install -trimpath \
  -ldflags "-s -w -X $module/internal/info.version=$version" \
  "${targets[@]}" >&2
(cd "$tmp" && sha256sum "${commands[@]}" >SHA256SUMS)
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "build-nvidia-container-toolkit: built $version in $((SECONDS - start)) s" >&2
echo "$out"
