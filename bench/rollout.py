"""Benchmark: rollout.yml over the lab's 3 sites against kubectl and against a kubernetes.core playbook.

    .venv/bin/python bench/rollout.py [--models 50] [--repeat 3]

Measured in one run, side by side on the same lab and the same manifests (built by the
collection's own manifest builder). The kubectl and rollout.yml measures are taken in --repeat
passes, each in fresh namespaces; each pass's ratios come from that pass alone, and the median
(lowest-highest) is printed: one sample of a 1-second playbook on a shared 2-core machine moves by
more than the margins the targets leave.
- kubectl: the sum over the sites of `kubectl apply -f` + `kubectl rollout status`, one site after
  the other - the same work done by hand (the lab's kubectl, never /usr/bin/kubectl);
- kubernetes.core: a plain playbook doing only the same waves - `kubernetes.core.k8s` apply with
  `wait: true` per site, canary then each wave (`serial`);
- rollout.yml: validate, parallel preflight, canary and waves with gates, journal, report and
  fleet verify; for a new model, an upgrade, the no-op re-run of the upgrade, and a new release
  of N models (default 50, 1 replica, no GPU: the lab's 32 GPUs per site would not hold 50 x 2)
  against the same release of 1 model.

Targets (issue 11): new model and upgrade <= 2.0x kubectl and <= 1.0x kubernetes.core; no-op
re-run <= 0.3x the first run; N models <= 3x one model. Prints the 1-minute load average first: a
figure taken at load >= 2 is not a result. Needs a running lab; removes its namespaces. Not a
test: nothing asserts on time.
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
from typing import Any, Dict, List, Optional, Tuple

import yaml
from lab_kubectl import kubectl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build"))
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import SiteAuth, get_client  # noqa: E402
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import build_manifests  # noqa: E402

# An isolated lab (GPUFLEET_LAB_NET=...) writes its inventory where GPUFLEET_LAB_INVENTORY says.
LAB_JSON = Path(os.environ.get("GPUFLEET_LAB_INVENTORY", REPO / "inventories" / "lab")) / ".lab" / "lab.json"
REPLICAS, GPUS = 2, 1
PLAYBOOK_ENV = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


def manifest_params(site: dict, name: str, namespace: str, version: str) -> dict:
    """The model_deploy parameters rollout.yml passes for the release below."""
    return {"name": name, "namespace": namespace, "image": "example.invalid/bench/chat:%s" % version,
            "model_version": version, "replicas": REPLICAS, "gpus": GPUS, "gpu_product": site["gpu_product"],
            "runtime_class": "none", "port": 8080, "strategy": {"max_surge": 1, "max_unavailable": 0},
            "revision_history_limit": 10, "progress_deadline_seconds": 600, "service": True,
            "service_type": "ClusterIP", "state": "present"}


def manifest_file(tmp: Path, site: dict, name: str, namespace: str, version: str) -> Path:
    manifests = build_manifests(manifest_params(site, name, namespace, version), site["name"])
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}] + list(manifests.values())
    path = tmp / ("%s-%s-%s.yaml" % (site["name"], namespace, version))
    path.write_text(yaml.safe_dump_all(docs))
    return path


def by_hand(lab: dict, tmp: Path, name: str, namespace: str, version: str) -> float:
    """Sum over the sites of kubectl apply + rollout status of the same manifests."""
    total = 0.0
    for site in lab["sites"]:
        path = manifest_file(tmp, site, name, namespace, version)
        started = time.monotonic()
        kubectl(lab["bin_dir"], site, "apply", "-f", str(path))
        kubectl(lab["bin_dir"], site, "-n", namespace, "rollout", "status", "deployment/%s" % name, "--timeout=300s")
        total += time.monotonic() - started
    return total


def core_playbook(lab: dict, tmp: Path, name: str, namespace: str, version: str) -> float:
    """kubernetes.core.k8s apply + wait per site, canary then each wave: the plain-Ansible baseline."""
    files = {s["name"]: str(manifest_file(tmp, s, name, namespace, version)) for s in lab["sites"]}
    play = [{
        "name": "Apply the model, wave by wave", "hosts": "kube_api", "gather_facts": False,
        "serial": [1] * len(lab["sites"]),
        "tasks": [{"name": "Apply and wait", "kubernetes.core.k8s": {
            "src": "{{ __files[gpufleet_site] }}", "apply": True, "wait": True, "wait_timeout": 300,
            "kubeconfig": "{{ gpufleet_kubeconfig }}", "context": "{{ gpufleet_kube_context }}"}}],
        "vars": {"__files": files},
    }]
    path = tmp / ("core-%s.yml" % version)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return timed([ANSIBLE_PLAYBOOK, "-i", lab["inventory"], str(path)], "kubernetes.core playbook")


def release_file(tmp: Path, name: str, namespace: str, version: str, models: int = 0) -> Path:
    """models=0: the 2 x 1 GPU model of the kubectl measures; N: N small models (1 replica, no GPU)."""
    if not models:
        body_models = [{"name": name, "namespace": namespace, "version": version,
                        "image": "example.invalid/bench/chat:%s" % version, "replicas": REPLICAS, "gpus": GPUS,
                        "runtime_class": "none"}]
    else:
        body_models = [{"name": "%s-%02d" % (name, i), "namespace": namespace, "version": version,
                        "image": "example.invalid/bench/chat:%s" % version, "replicas": 1, "gpus": 0,
                        "runtime_class": "none"} for i in range(models)]
    body = {"release": "%s-%s-%d" % (name, version.replace(".", "-"), models or 1), "models": body_models,
            "policy": {"wait_timeout": 300, "require_digest": False}}
    path = tmp / ("%s.yml" % body["release"])
    path.write_text(yaml.safe_dump(body))
    return path


def timed(cmd: list, what: str) -> float:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=PLAYBOOK_ENV, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (what, proc.stdout[-4000:]))
    return wall


def with_playbook(lab: dict, release: Path, reports: Path) -> float:
    return timed([ANSIBLE_PLAYBOOK, "-i", lab["inventory"], str(REPO / "playbooks" / "rollout.yml"),
                  "-e", "release=%s" % release, "-e", "rollout_reports_dir=%s" % reports], "rollout.yml")


def site_seconds(reports: Path, release: Path) -> str:
    """Each site's deploy + gate seconds from the run's report: the orchestration per site."""
    name = yaml.safe_load(release.read_text())["release"]
    report = json.loads((reports / name / "report.json").read_text())
    return ", ".join("%s %.2f" % (s["site"], sum(v or 0 for k, v in s["phases_seconds"].items() if k in ("deploy", "gate")))
                     for s in report["sites"])


def cleanup(lab: dict, namespace: str) -> None:
    for site in lab["sites"]:
        client = get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"]))
        client.delete("Namespace", namespace)
        # The next measure needs the GPUs back: wait until the namespace is gone.
        deadline = time.monotonic() + 120
        while client.get("Namespace", namespace) is not None and time.monotonic() < deadline:
            time.sleep(0.5)


def settle(lab: dict, namespace: str, pods: int) -> None:
    """Wait until every site runs exactly `pods` pods in the namespace, none of them terminating: the
    lab's control planes share this machine's 2 cores with the playbook, and a run measured while they
    still remove the old ReplicaSet's pods measures them too (a real site's control plane runs elsewhere)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = []
        for site in lab["sites"]:
            live = get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"])).list("Pod", namespace)
            counts.append(len([p for p in live if not (p.get("metadata") or {}).get("deletionTimestamp")])
                          if all(not (p.get("metadata") or {}).get("deletionTimestamp") for p in live) else -1)
        if all(c == pods for c in counts):
            time.sleep(1.0)
            return
        time.sleep(0.5)


def row(label: str, seconds: float, ratio: Optional[Tuple[float, float, float]] = None, target: str = "-") -> None:
    """ratio: (median, lowest, highest) over the repetitions."""
    spread = "-" if ratio is None else "%.2f" % ratio[0]
    extra = "" if ratio is None or ratio[1] == ratio[2] else "  (%.2f-%.2f)" % (ratio[1], ratio[2])
    print("%-62s %8.2f %7s %8s%s" % (label, seconds, spread, target, extra))


def repetition(lab: dict, tmp: Path, token: str, models: int) -> Dict[str, float]:
    """One pass of every measure but the kubernetes.core baseline, each in namespaces of its own."""
    spaces = {k: "bench-ro-%s-%s" % (k, token) for k in ("k", "m", "s1", "sn")}
    t: Dict[str, Any] = {}
    try:
        t["kubectl new"] = by_hand(lab, tmp, "chat", spaces["k"], "1.0.0")
        t["kubectl upgrade"] = by_hand(lab, tmp, "chat", spaces["k"], "2.0.0")
        cleanup(lab, spaces["k"])
        v1 = release_file(tmp, "chat", spaces["m"], "1.0.0")
        t["rollout new"] = with_playbook(lab, v1, tmp)
        t["per site new"] = site_seconds(tmp, v1)
        v2 = release_file(tmp, "chat", spaces["m"], "2.0.0")
        t["rollout upgrade"] = with_playbook(lab, v2, tmp)
        t["per site upgrade"] = site_seconds(tmp, v2)
        settle(lab, spaces["m"], REPLICAS)
        t["rollout no-op"] = with_playbook(lab, v2, tmp)
        cleanup(lab, spaces["m"])
        t["one model"] = with_playbook(lab, release_file(tmp, "scale", spaces["s1"], "1.0.0", 1), tmp)
        t["n models"] = with_playbook(lab, release_file(tmp, "scale", spaces["sn"], "1.0.0", models), tmp)
    finally:
        for namespace in spaces.values():
            cleanup(lab, namespace)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50, help="models per site in the scale measure")
    parser.add_argument("--repeat", type=int, default=3,
                        help="passes of the kubectl and rollout.yml measures; medians are printed")
    args = parser.parse_args()
    if not LAB_JSON.exists():
        sys.exit("the lab is not up: run `python -m lab up` first")
    load = os.getloadavg()[0]
    print("load average (1 min) before the run: %.2f%s" % (load, "  -- >= 2: NOT A RESULT" if load >= 2 else ""))
    lab = json.loads(LAB_JSON.read_text())
    core: Dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        token = uuid.uuid4().hex[:6]
        passes = []
        for i in range(args.repeat):
            passes.append(repetition(lab, tmp, "%s-%d" % (token, i), args.models))
        namespace = "bench-ro-c-%s" % token
        try:
            core["new"] = core_playbook(lab, tmp, "chat", namespace, "1.0.0")
            core["upgrade"] = core_playbook(lab, tmp, "chat", namespace, "2.0.0")
        finally:
            cleanup(lab, namespace)
    load_after = os.getloadavg()[0]

    def median(key: str) -> float:
        return statistics.median(p[key] for p in passes)

    def spread(values: List[float]) -> Tuple[float, float, float]:
        return statistics.median(values), min(values), max(values)

    def ratio(top: str, bottom: str) -> Tuple[float, float, float]:
        """Each pass's own ratio (same lab moment), then their median, lowest and highest."""
        return spread([p[top] / p[bottom] for p in passes])

    rtts = ", ".join("%s %s ms" % (s["name"], s["rtt_ms"]) for s in lab["sites"])
    print("rollout benchmark on the lab (%s), one run: %d passes, medians (lowest-highest ratio)" % (rtts, args.repeat))
    print("%-62s %8s %7s %8s" % ("measure", "seconds", "ratio", "target"))
    row("kubectl apply + rollout status, 3 sites summed: new model", median("kubectl new"))
    row("kubectl apply + rollout status, 3 sites summed: upgrade", median("kubectl upgrade"))
    row("kubernetes.core.k8s apply+wait, canary then waves: new model", core["new"])
    row("kubernetes.core.k8s apply+wait, canary then waves: upgrade", core["upgrade"])
    row("rollout.yml new model / kubectl", median("rollout new"), ratio("rollout new", "kubectl new"), "<= 2.0")
    row("rollout.yml upgrade / kubectl", median("rollout upgrade"), ratio("rollout upgrade", "kubectl upgrade"), "<= 2.0")
    for key, label in (("new", "new model"), ("upgrade", "upgrade")):
        # One kubernetes.core measure (it takes 15-20 s): each pass's rollout against it.
        row("rollout.yml %s / kubernetes.core" % label, median("rollout " + key),
            spread([p["rollout " + key] / core[key] for p in passes]), "<= 1.0")
    row("rollout.yml no-op re-run / the upgrade's first run", median("rollout no-op"),
        ratio("rollout no-op", "rollout upgrade"), "<= 0.3")
    row("rollout.yml, %d models per site / 1 model" % args.models, median("n models"), ratio("n models", "one model"),
        "<= 3.0")
    print("orchestration per site (deploy + gates, s), first pass: new model: %s; upgrade: %s"
          % (passes[0]["per site new"], passes[0]["per site upgrade"]))
    print("load average (1 min) after the run: %.2f" % load_after)


if __name__ == "__main__":
    main()
