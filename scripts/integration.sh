#!/usr/bin/env bash
# `make integration`: bring the local multi-site lab up (building its binaries on first use),
# run pytest tests/integration against it, and always take the lab down again.
#
#   scripts/integration.sh                      the whole integration suite
#   scripts/integration.sh -k rollout -x        extra arguments go to pytest
#   INTEGRATION_TESTS=tests/integration/lab scripts/integration.sh   a subset of the suite
#   GPUFLEET_LAB_CONFIG=my-sites.yml scripts/integration.sh   another site layout
#   STAGE_VENV=.cache/core-2.21 scripts/integration.sh   the lab and the tests on another venv's
#                                            ansible-core (scripts/core-matrix.sh --venv 2.21)
#
# Exits with pytest's status; "no tests collected" (pytest exit 5) counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE_VENV=${STAGE_VENV:-.venv}
[ -x "$STAGE_VENV/bin/python" ] || { echo "integration.sh: no venv $STAGE_VENV" >&2; exit 2; }
PY=${PY:-$STAGE_VENV/bin/python}
# The tests call ansible-playbook beside their interpreter, and some through PATH.
PATH=$(cd "$STAGE_VENV" && pwd)/bin:$PATH
export PATH

log() { printf '\n==> %s\n' "$*" >&2; }

# shellcheck disable=SC2317  # only called through the trap
teardown() {
  log "taking the lab down"
  "$PY" -m lab down || true
}
trap teardown EXIT

# The rollout's Prometheus gate is tested against a real Prometheus (Debian's package); the lab's
# monitoring (python -m lab up --monitoring) also runs Debian's Alertmanager and node exporter.
if ! command -v prometheus >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1 \
    || ! command -v prometheus-node-exporter >/dev/null 2>&1; then
  log "installing prometheus, prometheus-alertmanager, prometheus-node-exporter (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
    prometheus-alertmanager prometheus-node-exporter >/dev/null
fi

log "bringing the lab up (first run builds Kubernetes, etcd and kwok: 15-30 min on 2 cores)"
start=$SECONDS
"$PY" -m lab up
log "lab up after $((SECONDS - start))s"

tests=${INTEGRATION_TESTS:-tests/integration}
log "pytest $tests"
rc=0
start=$SECONDS
# The slowest tests are listed every run: CI's 90 minutes are shared with every other stage.
# shellcheck disable=SC2086  # INTEGRATION_TESTS may list several paths
"$PY" -m pytest --durations=15 $tests "$@" || rc=$?
log "pytest finished after $((SECONDS - start))s"
if [ "$rc" -eq 5 ]; then
  log "pytest collected no integration tests: that is a failure"
fi
exit "$rc"
