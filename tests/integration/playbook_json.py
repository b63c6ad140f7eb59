"""Run ansible-playbook with the ansible.posix.json callback and read its result document."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_playbook(playbook: Path, inventories: list[Path], extra_vars: dict, check: bool = False,
                 timeout: float = 900) -> dict:
    """The parsed json callback document plus rc/stderr; `check` runs with --check --diff."""
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
    """Every failed task result as 'host: task: msg' (ignored errors left out), for assertion messages."""
    out = []
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            for host, res in task.get("hosts", {}).items():
                if res.get("failed") and not res.get("ignore_errors"):
                    out.append("%s: %s: %s" % (host, task["task"]["name"], res.get("msg")))
    return out


def task_hosts(doc: dict, task_name: str) -> dict:
    """host -> result of every task of that name that ran (not skipped)."""
    out = {}
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            # Role tasks are reported as "<role> : <name>".
            if task["task"]["name"] == task_name or task["task"]["name"].endswith(" : " + task_name):
                for host, res in task.get("hosts", {}).items():
                    if not res.get("skipped"):
                        out[host] = res
    return out
