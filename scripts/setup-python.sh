#!/usr/bin/env bash
# Create .venv with the pinned tooling and the collections the tests need.
# Galaxy is not reachable from our machines, so the collections come from the
# PyPI `ansible` bundle: we unpack only the ones we use into the venv, where
# ansible-core finds them on sys.path.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
ANSIBLE_BUNDLE_VERSION=12.3.0
COLLECTIONS=(kubernetes/core containers/podman ansible/posix community/general)

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q -U pip
"$VENV/bin/pip" install -q -r requirements-dev.txt

site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
stamp="$site/ansible_collections/.gpufleet-bundle-$ANSIBLE_BUNDLE_VERSION"
if [ ! -e "$stamp" ]; then
  wheels=$(mktemp -d)
  "$VENV/bin/pip" download -q --no-deps -d "$wheels" "ansible==$ANSIBLE_BUNDLE_VERSION"
  patterns=()
  for c in "${COLLECTIONS[@]}"; do patterns+=("ansible_collections/$c/*"); done
  "$VENV/bin/python" - "$wheels"/ansible-*.whl "$site" "${patterns[@]}" <<'PY'
import fnmatch, sys, zipfile
wheel, dest, *patterns = sys.argv[1:]
with zipfile.ZipFile(wheel) as zf:
    members = [n for n in zf.namelist() if any(fnmatch.fnmatch(n, p) for p in patterns)]
    zf.extractall(dest, members)
PY
  rm -rf "$wheels"
  touch "$stamp"
fi

# The collection itself, found by ansible and by pytest under .build/.
mkdir -p .build/ansible_collections/gpufleet
ln -sfn "$PWD" .build/ansible_collections/gpufleet/datacenter
