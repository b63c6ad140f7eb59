"""Benchmark: rollout.yml over the lab's 3 sites vs kubectl, and a no-op re-run vs the first run.

    .venv/bin/python bench/rollout.py [--runs 1]

Orchestration overhead: `ansible-playbook playbooks/rollout.yml` (validate, preflight of every
site, canary + waves with gates, journal, final read, report, fleet verify) for a new model and
then an upgrade, against the sum over the sites of `kubectl apply -f` + `kubectl rollout status`
of the same manifests (built by model_deploy's own manifest builder) - the same work done by hand,
one site after the other. Targets (issue 6): rollout / kubectl <= 1.3; no-op re-run / first run
<= 0.5. Uses the lab's kubectl (never /usr/bin/kubectl, a gcloud wrapper).

Needs a running lab (python -m lab up); removes its namespaces. Not a test: nothing asserts on time.
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
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import SiteAuth, get_client  # noqa: E402
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import build_manifests  # noqa: E402

# An isolated lab (GPUFLEET_LAB_NET=...) writes its inventory where GPUFLEET_LAB_INVENTORY says.
LAB_JSON = Path(os.environ.get("GPUFLEET_LAB_INVENTORY", REPO / "inventories" / "lab")) / "lab.json"
REPLICAS, GPUS = 2, 1


def manifest_params(site: dict, name: str, namespace: str, version: str) -> dict:
    """The model_deploy parameters rollout.yml passes for the release below."""
    return {"name": name, "namespace": namespace, "image": "example.invalid/bench/chat:%s" % version,
            "model_version": version, "replicas": REPLICAS, "gpus": GPUS, "gpu_product": site["gpu_product"],
            "runtime_class": "none", "port": 8080, "strategy": {"max_surge": 1, "max_unavailable": 0},
            "revision_history_limit": 10, "progress_deadline_seconds": 600, "service": True,
            "service_type": "ClusterIP", "state": "present"}


def by_hand(lab: dict, name: str, namespace: str, version: str) -> float:
    """Sum over the sites of kubectl apply + rollout status of the same manifests."""
    total = 0.0
    for site in lab["sites"]:
        manifests = build_manifests(manifest_params(site, name, namespace, version), site["name"])
        docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}] + list(manifests.values())
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump_all(docs, f)
            path = f.name
        try:
            started = time.monotonic()
            kubectl(lab["bin_dir"], site, "apply", "-f", path)
            kubectl(lab["bin_dir"], site, "-n", namespace, "rollout", "status", "deployment/%s" % name, "--timeout=300s")
            total += time.monotonic() - started
        finally:
            os.unlink(path)
    return total


def release_file(tmp: Path, name: str, namespace: str, version: str) -> Path:
    body = {"release": "%s-%s" % (name, version.replace(".", "-")),
            "models": [{"name": name, "namespace": namespace, "version": version,
                        "image": "example.invalid/bench/chat:%s" % version, "replicas": REPLICAS, "gpus": GPUS,
                        "runtime_class": "none"}],
            "policy": {"wait_timeout": 300}}
    path = tmp / ("%s.yml" % body["release"])
    path.write_text(yaml.safe_dump(body))
    return path


def with_playbook(lab: dict, release: Path, reports: Path) -> float:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", lab["inventory"],
           str(REPO / "playbooks" / "rollout.yml"), "-e", "release=%s" % release, "-e", "rollout_reports_dir=%s" % reports]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit("rollout.yml failed:\n%s" % proc.stdout[-4000:])
    return wall


def cleanup(lab: dict, namespace: str) -> None:
    for site in lab["sites"]:
        get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"])).delete("Namespace", namespace)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if not LAB_JSON.exists():
        sys.exit("the lab is not up: run `python -m lab up` first")
    lab = json.loads(LAB_JSON.read_text())
    times = {k: [] for k in ("kubectl deploy", "kubectl upgrade", "rollout deploy", "rollout upgrade", "rollout no-op")}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for _run in range(args.runs):
            token = uuid.uuid4().hex[:6]
            hand_ns, ours_ns = "bench-ro-k-%s" % token, "bench-ro-m-%s" % token
            try:
                times["kubectl deploy"].append(by_hand(lab, "chat", hand_ns, "1.0.0"))
                times["kubectl upgrade"].append(by_hand(lab, "chat", hand_ns, "2.0.0"))
            finally:
                cleanup(lab, hand_ns)  # free the GPUs before our run needs them
            try:
                times["rollout deploy"].append(with_playbook(lab, release_file(tmp, "chat", ours_ns, "1.0.0"), tmp))
                v2 = release_file(tmp, "chat", ours_ns, "2.0.0")
                times["rollout upgrade"].append(with_playbook(lab, v2, tmp))
                times["rollout no-op"].append(with_playbook(lab, v2, tmp))
            finally:
                cleanup(lab, ours_ns)

    med = {k: statistics.median(v) for k, v in times.items()}
    rtts = ", ".join("%s %s ms" % (s["name"], s["rtt_ms"]) for s in lab["sites"])
    print("rollout benchmark on the lab (%s), %d x %d GPU replicas per site, median of %d run(s)"
          % (rtts, REPLICAS, GPUS, args.runs))
    print("%-58s %9s %8s %8s" % ("measure", "seconds", "ratio", "target"))
    print("%-58s %9.2f %8s %8s" % ("kubectl apply + rollout status, 3 sites summed: new model", med["kubectl deploy"], "-", "-"))
    print("%-58s %9.2f %8s %8s" % ("kubectl apply + rollout status, 3 sites summed: upgrade", med["kubectl upgrade"], "-", "-"))
    print("%-58s %9.2f %8.2f %8s" % ("rollout.yml, new model (vs kubectl new model)", med["rollout deploy"],
                                     med["rollout deploy"] / med["kubectl deploy"], "<= 1.3"))
    print("%-58s %9.2f %8.2f %8s" % ("rollout.yml, upgrade (vs kubectl upgrade)", med["rollout upgrade"],
                                     med["rollout upgrade"] / med["kubectl upgrade"], "<= 1.3"))
    print("%-58s %9.2f %8.2f %8s" % ("rollout.yml no-op re-run (vs the upgrade's first run)", med["rollout no-op"],
                                     med["rollout no-op"] / med["rollout upgrade"], "<= 0.5"))


if __name__ == "__main__":
    main()
