"""Benchmark: model_deploy + wait on one lab site vs `kubectl apply -f` + `kubectl rollout status`.

    .venv/bin/python bench/model_deploy_bench.py [--site lab-eu] [--runs 3]

Both deploy the same manifests (built by the module's own manifest builder) into fresh namespaces:
a first deploy, then an upgrade to a new image and version. The baseline is the lab's kubectl
(never /usr/bin/kubectl, a gcloud wrapper). Ours is timed twice: the module's work in-process
(its `elapsed`, like kubectl's own wall time) and a whole `ansible` ad-hoc run (Ansible start-up
included). Target (issue 5): model_deploy / kubectl <= 1.2.

Needs a running lab; cleans up its namespaces. Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from lab_kubectl import kubectl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build"))
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import (  # noqa: E402
    SiteAuth,
    clear_cache,
    get_client,
)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import build_manifests  # noqa: E402
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import DeployRunner  # noqa: E402

# An isolated lab (GPUFLEET_LAB_NET=...) writes its inventory where GPUFLEET_LAB_INVENTORY says.
LAB_JSON = Path(os.environ.get("GPUFLEET_LAB_INVENTORY", REPO / "inventories" / "lab")) / ".lab" / "lab.json"


def params(site: dict, namespace: str, version: str) -> dict:
    return {"site": site["name"], "kubeconfig": site["kubeconfig"], "context": site["context"],
            "name": "llm", "namespace": namespace, "create_namespace": False, "state": "present",
            "image": "registry.invalid/llm:%s" % version, "allow_latest": False, "require_digest": False,
            "model_version": version, "replicas": 2, "gpus": 1, "gpu_product": site["gpu_product"],
            "node_selector": None, "runtime_class": "none", "tolerations": None, "port": 8080, "command": None,
            "args": None, "env": None, "resources": None, "readiness_probe": None, "liveness_probe": None,
            "security_context": None, "pod_security_context": None, "labels": None, "annotations": None,
            "strategy": None, "revision_history_limit": 10, "progress_deadline_seconds": 600, "service": True,
            "service_type": "ClusterIP", "field_manager": "gpufleet.datacenter", "force_conflicts": True,
            "wait": True, "wait_timeout": 180, "wait_sleep": 1}


def with_kubectl(bin_dir: str, site: dict, namespace: str, version: str) -> float:
    manifests = build_manifests(params(site, namespace, version), site["name"])
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump_all(list(manifests.values()), f)
        path = f.name
    try:
        started = time.monotonic()
        kubectl(bin_dir, site, "apply", "-f", path)
        kubectl(bin_dir, site, "-n", namespace, "rollout", "status", "deployment/llm", "--timeout=180s")
        return time.monotonic() - started
    finally:
        os.unlink(path)


def with_module_utils(site: dict, namespace: str, version: str) -> float:
    # Cold, like one module run: kubeconfig load, TCP and TLS handshakes are counted.
    clear_cache()
    started = time.monotonic()
    client = get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"]))
    result = DeployRunner(client, params(site, namespace, version), check_mode=False).run()
    assert result["rollout_complete"], result
    return time.monotonic() - started


ANSIBLE_ELAPSED = []


def with_ansible(site: dict, namespace: str, version: str) -> float:
    """Wall time of a whole `ansible` run; the module's own `elapsed` goes to ANSIBLE_ELAPSED."""
    p = {k: v for k, v in params(site, namespace, version).items() if v is not None}
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    cmd = [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, "-m", "gpufleet.datacenter.model_deploy",
           "-a", json.dumps(p)]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit("model_deploy failed: %s" % proc.stdout[-3000:])
    ANSIBLE_ELAPSED.append(json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["elapsed"])
    return wall


def namespace_for(site: dict, label: str) -> str:
    name = "bench-md-%s-%s" % (label, uuid.uuid4().hex[:6])
    get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"])).apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, "gpufleet-bench")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=None, help="lab site (default: the first)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not LAB_JSON.exists():
        sys.exit("the lab is not up: run `python -m lab up` first")
    lab = json.loads(LAB_JSON.read_text())
    site = next(s for s in lab["sites"] if args.site in (None, s["name"]))
    runners = {"kubectl apply + rollout status": lambda ns, v: with_kubectl(lab["bin_dir"], site, ns, v),
               "model_deploy (module_utils, in-process)": lambda ns, v: with_module_utils(site, ns, v),
               "model_deploy (ansible ad-hoc, start-up included)": lambda ns, v: with_ansible(site, ns, v)}
    times = {name: {"deploy": [], "upgrade": []} for name in runners}
    client = get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"]))
    for dummy in range(args.runs):
        # Interleave the tools so drift in machine load hits all of them alike.
        for label, run in runners.items():
            ns = namespace_for(site, "k" if label.startswith("kubectl") else "m")
            try:
                times[label]["deploy"].append(run(ns, "1"))
                times[label]["upgrade"].append(run(ns, "2"))
            finally:
                # Free the GPUs at once: other tests share the lab.
                client.delete("Namespace", ns)

    # The module's own elapsed inside those ansible runs (deploy, upgrade alternate).
    reported = "model_deploy (its elapsed inside the ansible runs)"
    times[reported] = {"deploy": ANSIBLE_ELAPSED[0::2], "upgrade": ANSIBLE_ELAPSED[1::2]}
    base = "kubectl apply + rollout status"
    print("model_deploy benchmark at %s (RTT %s ms), 2 replicas x 1 GPU, median of %d runs" % (
        site["name"], site["rtt_ms"], args.runs))
    print("%-50s %10s %10s %10s %10s %8s" % ("tool", "deploy/s", "ratio", "upgrade/s", "ratio", "target"))
    for label in times:
        d, u = statistics.median(times[label]["deploy"]), statistics.median(times[label]["upgrade"])
        bd, bu = statistics.median(times[base]["deploy"]), statistics.median(times[base]["upgrade"])
        print("%-50s %10.2f %10.2f %10.2f %10.2f %8s" % (label, d, d / bd, u, u / bu,
                                                         "-" if label == base else "<= 1.2"))


if __name__ == "__main__":
    main()
