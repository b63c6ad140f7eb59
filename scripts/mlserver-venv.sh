#!/usr/bin/env bash
# Create the private virtual environment that holds MLServer for the model_health
# integration tests (tests/integration/health/).
#
# MLServer lives in its own venv because its dependency tree (fastapi, grpcio,
# pandas, opentelemetry, ...) must not leak into the collection's .venv, where it
# would change what ansible-test sanity and the unit tests run against.
# The test model is a custom MLModel class written by the test itself, so no
# inference runtime package (sklearn, xgboost, ...) and no weights are installed.
#
# Usage: scripts/mlserver-venv.sh [VENV_DIR]   (default: .cache/mlserver-venv)
# The package index comes from the machine's pip configuration.
set -euo pipefail

MLSERVER_VERSION="${MLSERVER_VERSION:-1.7.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="${1:-${ROOT}/.cache/mlserver-venv}"
# MLServer 1.7.1 installs on Python 3.9-3.12 only: not on the 3.13 of the ansible-core 2.21 venv the
# integration stage runs in (its python3 comes first on PATH there), so the interpreter is named.
PYTHON="${PYTHON:-python3.11}"
STAMP="${VENV_DIR}/.mlserver-${MLSERVER_VERSION}"

if [[ -f "${STAMP}" ]]; then
    echo "mlserver ${MLSERVER_VERSION} already installed in ${VENV_DIR}"
    exit 0
fi

start=$(date +%s)
rm -rf "${VENV_DIR}"
"${PYTHON}" -m venv "${VENV_DIR}"
"${VENV_DIR}/bin/python" -m pip install --quiet --upgrade pip
"${VENV_DIR}/bin/python" -m pip install --quiet "mlserver==${MLSERVER_VERSION}"
"${VENV_DIR}/bin/mlserver" --help >/dev/null
touch "${STAMP}"
echo "mlserver ${MLSERVER_VERSION} installed in ${VENV_DIR} in $(( $(date +%s) - start ))s" \
     "($(du -sh "${VENV_DIR}" | cut -f1))"
