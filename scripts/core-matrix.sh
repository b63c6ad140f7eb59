#!/usr/bin/env bash
# Unit tests on every supported ansible-core release line, each in its own venv on the Python that
# line needs (pyenv interpreters), cached under .cache/core-<line>; ansible-test sanity on the
# newest line (make sanity covers the pinned 2.19 of .venv). What meta/runtime.yml's requires_ansible
# claims is what this runs.
#
#   scripts/core-matrix.sh                    every line: unit; sanity on the newest
#   scripts/core-matrix.sh 2.20 2.21          only these lines (or CORE_LINES="2.20 2.21")
#   CORE_SANITY=all scripts/core-matrix.sh    sanity on every line too (slow: ~6 min a line here)
set -euo pipefail
cd "$(dirname "$0")/.."

# release line -> Python it runs on (2.20 and later need Python 3.12+).
declare -A PYTHON=([2.18]=3.11 [2.19]=3.11 [2.20]=3.12 [2.21]=3.13)
ALL_LINES=(2.18 2.19 2.20 2.21)
NEWEST=2.21
# make test leaves 2.19 out: `make unit` ran the suite on .venv's 2.19 already.
read -ra LINES <<<"${CORE_LINES:-${ALL_LINES[*]}}"
[ "$#" -eq 0 ] || LINES=("$@")
SANITY=${CORE_SANITY:-newest}
# The collections the tests use, from the `ansible` bundle setup-python.sh unpacked into .venv.
BUNDLE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections
[ -d "$BUNDLE/kubernetes/core" ] || { echo "core-matrix: run make setup first (no $BUNDLE)" >&2; exit 2; }

interpreter() {
  local version=$1 found
  for found in "$(pyenv root 2>/dev/null)"/versions/"$version".*/bin/python"$version" \
               "$HOME"/.pyenv/versions/"$version".*/bin/python"$version"; do
    [ -x "$found" ] && { echo "$found"; return; }
  done
  command -v "python$version" || { echo "core-matrix: no Python $version (pyenv install $version)" >&2; return 1; }
}

# The test tooling of requirements-dev.txt without what pins one ansible-core (ansible-core itself,
# ansible-lint, molecule): each venv gets its line's newest ansible-core instead.
tooling=$(mktemp)
trap 'rm -f "$tooling"' EXIT
grep -vE '^(ansible-core|ansible-lint|molecule|molecule-plugins)([=<>\[ ]|$)' requirements-dev.txt \
  | sed 's|^-r requirements.txt$|-r '"$PWD"'/requirements.txt|' >"$tooling"

failed=()
for line in "${LINES[@]}"; do
  py=${PYTHON[$line]:?unknown ansible-core line $line}
  venv=.cache/core-$line
  stamp=$venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
  if [ ! -e "$stamp" ]; then
    echo "== ansible-core $line: venv on Python $py ($venv)"
    rm -rf "$venv"
    "$(interpreter "$py")" -m venv "$venv"
    "$venv/bin/pip" install -q -U pip
    next=${line%.*}.$(( ${line#*.} + 1 ))
    "$venv/bin/pip" install -q "ansible-core>=$line.0,<$next.0" -r "$tooling"
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    mkdir -p "$site/ansible_collections"
    cp -a "$BUNDLE"/. "$site/ansible_collections/"
    touch "$stamp"
  fi
  core=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')
  echo "== ansible-core $core on $("$venv/bin/python" -V): unit"
  # ansible-playbook, ansible-galaxy and ansible-test of this line, not of .venv.
  if ! PATH=$PWD/$venv/bin:$PATH "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit; then
    failed+=("$line unit")
  fi
  if [ "$SANITY" = all ] || { [ "$SANITY" = newest ] && [ "$line" = "$NEWEST" ]; }; then
    echo "== ansible-core $core: sanity on Python $py"
    if ! PATH=$PWD/$venv/bin:$PATH PYTHON_VERSION=$py scripts/sanity.sh; then
      failed+=("$line sanity")
    fi
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "core-matrix: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "core-matrix: passed on ansible-core ${LINES[*]}"
