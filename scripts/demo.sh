#!/usr/bin/env bash
# The README's first command: on a fresh clone, set up the venv, bring the local 3-site lab up
# (building its Kubernetes binaries from the Go module proxy on first use, then cached), roll
# releases/sample.yml out across it - canary, then wave by wave - and end with the report table.
# Re-running it is a no-op rollout (the journal says every site is done) that prints the table again.
set -euo pipefail
cd "$(dirname "$0")/.."
RELEASE=${RELEASE:-releases/sample.yml}
REPORTS=${REPORTS:-$PWD/reports}

# The Makefile's own setup target: builds .venv once and stamps it, so `make unit` & co. reuse it.
make --no-print-directory setup
export ANSIBLE_CONFIG=$PWD/ansible.cfg
.venv/bin/python -m lab up
.venv/bin/ansible-playbook -i inventories/lab playbooks/rollout.yml \
  -e "release=$RELEASE" -e "rollout_reports_dir=$REPORTS"

name=$(.venv/bin/python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["release"])' "$RELEASE")
echo
echo "Report: $REPORTS/$name/report.md (and report.json)"
.venv/bin/python - "$REPORTS/$name/report.json" <<'PY'
import json
import sys

sys.path.insert(0, ".build")
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.report import table

with open(sys.argv[1], encoding="utf-8") as handle:
    print("\n".join(table(json.load(handle))))
PY
