"""`playbooks/site.yml --check` on inventories/example runs through on hosts that have nothing yet.

The example's machines do not exist, so every host runs on this machine over the local
connection (site_check_vars.yml); HOME points at an empty directory, so no site has a
kubeconfig yet. That is a fresh fleet as check mode sees it: no k3s, no unit, no cluster API.
The run must finish without a failed or unreachable host, each role must say what a real run
would do, and nothing on this machine may change. No lab needed: no API is contacted.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
INVENTORY = REPO / "inventories" / "example"
EXTRA_VARS = Path(__file__).parent / "site_check_vars.yml"

# What site.yml's roles would write on a host (and the controller's kubeconfig dir, below HOME).
WATCHED = [
    "/usr/local/bin/k3s", "/usr/local/bin/kubectl", "/usr/local/bin/crictl", "/usr/local/bin/ctr",
    "/etc/rancher", "/var/lib/rancher", "/var/lib/gpufleet",
    "/etc/systemd/system/k3s.service", "/etc/systemd/system/k3s.service.env",
    "/etc/systemd/system/k3s-agent.service", "/etc/systemd/system/k3s-agent.service.env",
    "/etc/apt/sources.list.d/gpufleet-nvidia-container-toolkit.sources",
    "/etc/apt/keyrings/gpufleet-nvidia-container-toolkit.asc",
    "/etc/containerd", "/etc/cdi/nvidia.yaml", "/etc/modprobe.d",
]


def snapshot(paths: list[Path]) -> dict[str, str]:
    """path -> sha256 (files), "link:<target>", "dir" for every path below the given ones."""
    out = {}
    for top in paths:
        for path in [top, *(sorted(top.rglob("*")) if top.is_dir() and not top.is_symlink() else [])]:
            if path.is_symlink():
                out[str(path)] = "link:%s" % os.readlink(path)
            elif path.is_dir():
                out[str(path)] = "dir"
            elif path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def task_results(doc: dict, name: str) -> dict:
    """host -> result of the task named `name` that ran (role tasks are reported as `<role> : <name>`)."""
    return {host: res for play in doc["plays"] for task in play["tasks"]
            if task["task"]["name"].rpartition(" : ")[2] == name
            for host, res in task["hosts"].items() if not res.get("skipped")}


@pytest.fixture(scope="module")
def check_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    watched = [Path(p) for p in WATCHED] + [home / ".kube"]
    before = snapshot(watched)
    env = dict(os.environ, HOME=str(home), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY),
           str(REPO / "playbooks" / "site.yml"), "--check", "-e", "@%s" % EXTRA_VARS]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500, check=False)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible-playbook output is not JSON (rc %s):\n%s\n%s"
                             % (proc.returncode, proc.stdout[-5000:], proc.stderr[-5000:]))
    doc["rc"], doc["stderr"] = proc.returncode, proc.stderr
    doc["changed_paths"] = sorted(set(before.items()) ^ set(snapshot(watched).items()))
    return doc


def failures(doc: dict) -> list[str]:
    return ["%s: %s: %s" % (host, task["task"]["name"], res.get("msg"))
            for play in doc["plays"] for task in play["tasks"] for host, res in task["hosts"].items()
            if (res.get("failed") or res.get("unreachable")) and not res.get("ignore_errors")]


def groups() -> dict[str, list[str]]:
    children = yaml.safe_load((INVENTORY / "hosts.yml").read_text())["all"]["children"]
    return {name: list(children[name]["hosts"]) for name in ("k3s_server", "k3s_agent", "gpu", "kube_api")}


def test_runs_through_without_a_failed_or_unreachable_host(check_run):
    assert check_run["rc"] == 0, failures(check_run) or check_run["stderr"][-3000:]
    every_host = {h for hosts in groups().values() for h in hosts}
    assert every_host <= set(check_run["stats"]), sorted(every_host - set(check_run["stats"]))
    bad = {host: s for host, s in check_run["stats"].items() if s["failures"] or s["unreachable"] or s["ignored"]}
    assert bad == {}


def test_changes_nothing_on_the_machine(check_run):
    assert check_run["changed_paths"] == []


def test_k3s_says_what_a_real_run_would_do(check_run):
    k3s_hosts = set(groups()["k3s_server"] + groups()["k3s_agent"])
    # The release artifacts are out of reach here (no internet), so the install reports what it
    # would fetch; with the source reachable it reports each artifact it would replace instead.
    fetch = task_results(check_run, "Report the artifacts a real run would fetch")
    replace = task_results(check_run, "Report the artifact a real run would install")
    assert set(fetch) | set(replace) == k3s_hosts
    for host, res in fetch.items():
        assert "a real run downloads k3s v" in res["msg"] and "verifies each artifact's sha256" in res["msg"], res
    unit = task_results(check_run, "Report the unit a real run would enable")
    assert set(unit) == k3s_hosts
    assert all("a real run enables and starts it" in res["msg"] for res in unit.values()), unit
    # Every node's config.yaml would be written: the role really evaluated its configuration.
    config = task_results(check_run, "Write config.yaml")
    assert {host for host, res in config.items() if res.get("changed")} == k3s_hosts
    # No cluster exists yet: nothing waited for a node or fetched a kubeconfig.
    assert task_results(check_run, "Wait until the node reports Ready") == {}
    assert task_results(check_run, "Write the site kubeconfig on the controller") == {}


def test_addons_skip_sites_not_provisioned_yet(check_run):
    report = task_results(check_run, "Report a site not provisioned yet")
    assert set(report) == set(groups()["kube_api"])
