#!/usr/bin/env bash
# `make molecule`: run every role's molecule scenarios on podman systemd hosts.
#
#   scripts/molecule.sh                      every roles/*/molecule/*/molecule.yml
#   scripts/molecule.sh nvidia_driver        every scenario of one role
#   scripts/molecule.sh nvidia_driver/default container_runtime/default
#   MOLECULE_CMD=converge scripts/molecule.sh nvidia_driver/default   (another molecule command)
#   STAGE_VENV=.cache/core-2.21 scripts/molecule.sh   molecule and ansible-core from another venv
#                                            (scripts/core-matrix.sh --venv 2.21 creates that one)
#
# Works on a fresh Debian 12 machine as root: installs podman/runc/debootstrap
# when missing, gives podman the settings this host needs (runc, ulimits), builds
# the base image once (tests/molecule/build-image.sh, cached by tag), then runs
# the scenarios one by one, stopping at the first failure, and prints a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
VENV=${VENV:-${STAGE_VENV:-.venv}}
cmd=${MOLECULE_CMD:-test}

log() { printf '\n==> %s\n' "$*"; }

# --- host packages -----------------------------------------------------------
missing=()
for tool in podman:podman runc:runc debootstrap:debootstrap; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# --- podman settings ---------------------------------------------------------
# On our hybrid-cgroup hosts crun cannot run systemd containers and runc fails
# to set RLIMIT_NOFILE unless default ulimits are given. Leave an existing
# configuration alone when it already has both settings; otherwise add ours.
conf=/etc/containers/containers.conf
podman_settings='[containers]
default_ulimits = [
  "nofile=1024:1024",
  "nproc=4096:4096",
]

[engine]
runtime = "runc"'
if [ ! -e "$conf" ]; then
  log "writing $conf (runtime runc, default ulimits)"
  mkdir -p /etc/containers
  printf '%s\n' "$podman_settings" >"$conf"
elif ! grep -q '^[[:space:]]*default_ulimits' "$conf" || ! grep -q '^[[:space:]]*runtime[[:space:]]*=' "$conf"; then
  log "$conf lacks runtime/ulimits: adding a drop-in"
  mkdir -p /etc/containers/containers.conf.d
  printf '%s\n' "$podman_settings" >/etc/containers/containers.conf.d/50-gpufleet-molecule.conf
fi

# --- python tooling ----------------------------------------------------------
if [ ! -x "$VENV/bin/molecule" ]; then
  [ "$VENV" = .venv ] || { echo "molecule.sh: no molecule in $VENV (scripts/core-matrix.sh --venv <line>)" >&2; exit 2; }
  scripts/setup-python.sh
fi
# molecule shells out to ansible-config through PATH: the venv must be active.
# shellcheck disable=SC1091
source "$VENV/bin/activate"
export ANSIBLE_CONFIG=$root/ansible.cfg
# Roles are applied by their collection name (gpufleet.datacenter.<role>), found
# through the .build link; molecule runs from the scenario directory, where the
# relative path in ansible.cfg would not resolve.
export ANSIBLE_COLLECTIONS_PATH=$root/.build
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}
export PY_COLORS=${PY_COLORS:-0}

# --- base image --------------------------------------------------------------
set -a
# shellcheck source=tests/molecule/image.env
. tests/molecule/image.env
set +a
log "base image"
tests/molecule/build-image.sh >/dev/null

# --- scenarios ---------------------------------------------------------------
scenarios=()
if [ $# -eq 0 ]; then
  for f in roles/*/molecule/*/molecule.yml; do
    [ -e "$f" ] || continue
    r=${f#roles/}
    scenarios+=("${r%%/*}/$(basename "$(dirname "$f")")")
  done
else
  for a in "$@"; do
    if [ "${a#*/}" != "$a" ]; then
      scenarios+=("$a")
    else
      for f in roles/"$a"/molecule/*/molecule.yml; do
        [ -e "$f" ] && scenarios+=("$a/$(basename "$(dirname "$f")")")
      done
    fi
  done
fi
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "molecule.sh: no scenarios found (roles/*/molecule/*/molecule.yml)" >&2
  exit 1
fi

summary=()
print_summary() {
  log "molecule $cmd summary"
  printf '%s\n' "${summary[@]}"
}
trap print_summary EXIT
total_start=$SECONDS
for s in "${scenarios[@]}"; do
  role=${s%%/*} scenario=${s#*/}
  if [ ! -e "roles/$role/molecule/$scenario/molecule.yml" ]; then
    summary+=("$(printf '%-40s %-6s' "$s" MISSING)")
    exit 1
  fi
  log "$role: molecule $cmd -s $scenario"
  start=$SECONDS
  rc=0
  (cd "roles/$role" && molecule "$cmd" -s "$scenario") || rc=$?
  took=$((SECONDS - start))
  if [ $rc -ne 0 ]; then
    summary+=("$(printf '%-40s %-6s %4d s' "$s" FAILED "$took")")
    exit $rc
  fi
  summary+=("$(printf '%-40s %-6s %4d s' "$s" ok "$took")")
done
summary+=("$(printf '%-40s %-6s %4d s' total "" $((SECONDS - total_start)))")
