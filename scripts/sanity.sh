#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection at ansible_collections/gpufleet/datacenter.
# There is no Docker engine here, so tests run with --venv. ansible-test bootstraps each
# sanity venv with a get-pip script it would download from its own server, which is not
# reachable; we seed its cache with a stand-in that uses ensurepip and the configured PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON_VERSION=${PYTHON_VERSION:-3.11}

pip_version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages as g
class P: version = "'"$PYTHON_VERSION"'"
print(g(P)["pip"])')
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cat > "$cache/get_pip_${pip_version//./_}.py" <<'PY'
# Offline stand-in for ansible-test's get-pip download: ensurepip, then pip from PyPI.
import subprocess, sys
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
PY

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/gpufleet/datacenter
mkdir -p "$dest"
# Only what git tracks or would track, i.e. what a release contains (no venv, no lab state).
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$dest" -xf -
cd "$dest"
ansible-test sanity --venv --python "$PYTHON_VERSION" --color no "$@"
