#!/usr/bin/env bash
# Unit tests on every supported ansible-core release line, each in its own venv on the Python that
# line needs (pyenv interpreters), cached under .cache/core-<line>; ansible-test sanity on the
# newest line (make sanity covers the pinned 2.19 of .venv). What meta/runtime.yml's requires_ansible
# claims is what this runs. Measured times: docs/testing.md.
#
#   scripts/core-matrix.sh                    every line: unit; sanity on the newest
#   scripts/core-matrix.sh 2.20 2.21          only these lines (or CORE_LINES="2.20 2.21")
#   CORE_SANITY=all scripts/core-matrix.sh    sanity on every line too (none: on no line)
#   scripts/core-matrix.sh --venv 2.21        only create (or reuse) that line's venv
#
# The newest line's venv also holds molecule, so the integration and molecule stages can run on it
# (STAGE_VENV=.cache/core-2.21, as `make test` does).
set -euo pipefail
cd "$(dirname "$0")/.."

# release line -> Python it runs on (2.20 and later need Python 3.12+).
declare -A PYTHON=([2.18]=3.11 [2.19]=3.11 [2.20]=3.12 [2.21]=3.13)
ALL_LINES=(2.18 2.19 2.20 2.21)
NEWEST=2.21
# make test leaves 2.19 out: `make unit` ran the suite on .venv's 2.19 already.
VENV_ONLY=
if [ "${1:-}" = --venv ]; then VENV_ONLY=1; shift; fi
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
# ansible-lint) and what the unit tests and sanity do not use (the lint stage's antsibull tools,
# mutmut): each venv gets its line's newest ansible-core instead. molecule only where the stages run.
tooling=$(mktemp -d)
trap 'rm -rf "$tooling"' EXIT
grep -vE '^(ansible-core|ansible-lint|antsibull-docs|antsibull-changelog|mutmut)([=<>\[ ]|$)' requirements-dev.txt \
  | sed 's|^-r requirements.txt$|-r '"$PWD"'/requirements.txt|' >"$tooling/stages.txt"
grep -vE '^(molecule|molecule-plugins)([=<>\[ ]|$)' "$tooling/stages.txt" >"$tooling/unit.txt"

# Create (or keep, when its requirements have not changed) the venv of one release line; one at a
# time per line (.ci/run starts the stage venv early, make test asks for it again).
make_venv() {
  mkdir -p .cache
  ( flock 9; build_venv "$1" ) 9>".cache/core-$1.lock"
}

build_venv() {
  local line=$1 py=${PYTHON[$1]:?unknown ansible-core line $1} venv=.cache/core-$1 reqs=unit
  [ "$line" != "$NEWEST" ] || reqs=stages
  local next=${line%.*}.$(( ${line#*.} + 1 ))
  local spec="ansible-core>=$line.0,<$next.0"
  local stamp
  stamp=$venv/.installed-$( { echo "$py $spec"; cat requirements.txt "$tooling/$reqs.txt"; } | sha256sum | cut -c1-12)
  [ ! -e "$stamp" ] || return 0
  echo "== ansible-core $line: venv on Python $py ($venv)"
  local began=$SECONDS
  rm -rf "$venv"
  "$(interpreter "$py")" -m venv "$venv"
  "$venv/bin/pip" install -q -U pip
  "$venv/bin/pip" install -q "$spec" -r "$tooling/$reqs.txt"
  local site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  mkdir -p "$site/ansible_collections"
  cp -a "$BUNDLE"/. "$site/ansible_collections/"
  touch "$stamp"
  echo "== ansible-core $line: venv ready after $((SECONDS - began)) s"
}

if [ -n "$VENV_ONLY" ]; then
  for line in "${LINES[@]}"; do make_venv "$line"; done
  exit 0
fi

failed=()
for line in "${LINES[@]}"; do
  py=${PYTHON[$line]:?unknown ansible-core line $line}
  venv=.cache/core-$line
  make_venv "$line"
  core=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')
  echo "== ansible-core $core on $("$venv/bin/python" -V): unit"
  # ansible-playbook, ansible-galaxy and ansible-test of this line, not of .venv.
  began=$SECONDS
  if ! PATH=$PWD/$venv/bin:$PATH "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit; then
    failed+=("$line unit")
  fi
  echo "== ansible-core $core: unit finished after $((SECONDS - began)) s"
  if [ "$SANITY" = all ] || { [ "$SANITY" = newest ] && [ "$line" = "$NEWEST" ]; }; then
    echo "== ansible-core $core: sanity on Python $py"
    began=$SECONDS
    if ! PATH=$PWD/$venv/bin:$PATH PYTHON_VERSION=$py scripts/sanity.sh; then
      failed+=("$line sanity")
    fi
    echo "== ansible-core $core: sanity finished after $((SECONDS - began)) s"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "core-matrix: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "core-matrix: passed on ansible-core ${LINES[*]}"
