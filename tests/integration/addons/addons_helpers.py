"""Helpers for the gpu_addons lab tests: run a playbook with the json callback, build GPU facts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu import facts, query

REPO = Path(__file__).resolve().parents[3]
NVIDIA_SMI_FIXTURES = REPO / "tests" / "unit" / "fixtures" / "nvidia-smi"


def run_playbook(playbook: Path, inventories: list[Path], extra_vars: dict, check: bool = False,
                 timeout: float = 600) -> dict:
    """ansible-playbook with the ansible.posix.json callback; returns the parsed document plus rc/stderr."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-e", json.dumps(extra_vars)]
    for inventory in inventories:
        cmd += ["-i", str(inventory)]
    if check:
        cmd += ["--check", "--diff"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible-playbook output is not JSON (rc %s):\n%s\n%s"
                             % (proc.returncode, proc.stdout[-5000:], proc.stderr[-5000:]))
    doc["rc"] = proc.returncode
    doc["stderr"] = proc.stderr
    return doc


def failures(doc: dict) -> list[str]:
    """Every failed task result as 'host: task: msg', for assertion messages."""
    out = []
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            for host, res in task.get("hosts", {}).items():
                if res.get("failed") and not res.get("ignore_errors"):
                    out.append("%s: %s: %s" % (host, task["task"]["name"], res.get("msg")))
    return out


def gpu_facts_from_capture(name: str) -> dict:
    """ansible_facts.nvidia_gpu as gpu_facts builds it from a recorded nvidia-smi CSV query."""
    text = (NVIDIA_SMI_FIXTURES / name).read_text()
    rows = query.parse_csv("\n".join(line for line in text.splitlines() if not line.startswith("#")))
    return facts.build_facts([query.gpu_from_row(r) for r in rows])
