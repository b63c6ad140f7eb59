"""Benchmark: model_versions over the lab's sites x 20 models, against two baselines.

    .venv/bin/python bench/model_versions_bench.py [--models 20] [--runs 3]

1. vs a playbook doing the same check with a `kubernetes.core.k8s_info` task looping over
   sites x models (target: >= 20x faster). Both are timed as whole `ansible-playbook` runs, and as
   task time (the module's own `elapsed` vs the loop task's duration from the json callback).
2. vs the slowest single site, with the lab's simulated inter-site latency (RTT per site from
   lab.json): target wall time of all sites <= 1.5x the slowest site alone. Uses the module's
   `elapsed` (no Ansible start-up in either figure).

Needs a running lab (`python -m lab up`); creates one namespace per site and deletes it at the end.
Not a test: nothing here asserts on time. Prints a table of ratios.
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build"))
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import SiteAuth, get_client  # noqa: E402
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (  # noqa: E402
    build_deployment,
    build_namespace,
)

# An isolated lab (GPUFLEET_LAB_NET=...) writes its inventory where GPUFLEET_LAB_INVENTORY says.
LAB_JSON = Path(os.environ.get("GPUFLEET_LAB_INVENTORY", REPO / "inventories" / "lab")) / ".lab" / "lab.json"
FIELD_MANAGER = "gpufleet-bench"


def model_params(name: str, namespace: str, version: str) -> dict:
    # No GPU: the benchmark measures the version check, and must not take GPUs from other tests.
    return {"name": name, "namespace": namespace, "image": "registry.invalid/%s:%s" % (name, version),
            "model_version": version, "replicas": 1, "gpus": 0, "runtime_class": "none", "port": 8080,
            "revision_history_limit": 1, "progress_deadline_seconds": 600}


def setup(sites, namespace: str, count: int) -> None:
    for i, site in enumerate(sites):
        kube = get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"]))
        kube.apply(build_namespace(namespace), FIELD_MANAGER)
        for m in range(count):
            # one drifted model per site so the report has something to say
            version = "1" if m == i else "2"
            kube.apply(build_deployment(model_params("m%02d" % m, namespace, version)), FIELD_MANAGER)


def teardown(sites, namespace: str) -> None:
    for site in sites:
        try:
            get_client(SiteAuth(site["name"], site["kubeconfig"], site["context"])).delete("Namespace", namespace)
        except Exception as e:  # pylint: disable=broad-except
            print("cleanup of %s at %s failed: %s" % (namespace, site["name"], e))


def run_playbook(playbook: list) -> tuple:
    """Wall seconds and the json callback's document."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=REPO / "bench", delete=False) as f:
        yaml.safe_dump(playbook, f)
        path = f.name
    try:
        started = time.monotonic()
        proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", path],
                              cwd=REPO, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        sys.exit("playbook failed (%s):\n%s\n%s" % (proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
    return wall, json.loads(proc.stdout)


def task_seconds(task: dict) -> float:
    duration = task["task"]["duration"]
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    from datetime import datetime
    return (datetime.strptime(duration["end"], fmt) - datetime.strptime(duration["start"], fmt)).total_seconds()


def play(tasks: list) -> list:
    return [{"name": "Benchmark", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": sys.executable}, "tasks": tasks}]


def versions_task(sites, models) -> dict:
    return {"name": "Check the fleet with model_versions", "register": "__fleet",
            "gpufleet.datacenter.model_versions": {"sites": sites, "models": models, "allow_unreachable": False}}


def k8s_info_tasks(sites, models) -> list:
    pairs = [{"site": s, "model": m} for s in sites for m in models]
    return [
        {"name": "Read each Deployment with kubernetes.core.k8s_info", "register": "__info", "loop": pairs,
         "loop_control": {"label": "{{ item.site.name }}/{{ item.model.name }}"},
         "kubernetes.core.k8s_info": {"kind": "Deployment", "name": "{{ item.model.name }}",
                                      "namespace": "{{ item.model.namespace }}",
                                      "kubeconfig": "{{ item.site.kubeconfig }}", "context": "{{ item.site.context }}"}},
        {"name": "Compute the drift list", "ansible.builtin.set_fact": {"__drift": (
            "{{ __info.results | community.general.json_query(__drift_query) }}")},
         "vars": {"__drift_query": ('[?resources[0].metadata.labels."app.kubernetes.io/version" != item.model.version]'
                                    '.{site: item.site.name, model: item.model.name}')}},
    ]


def module_elapsed(sites, models, runs: int, cold: bool) -> float:
    """Median time of the module's fleet query, in-process through its module_utils.

    cold: new clients each run (kubeconfig load, TCP + TLS handshakes), as in one module run;
    warm: cached clients with open connections.
    """
    from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import clear_cache
    from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.fleet import query_fleet
    auths = [SiteAuth(s["name"], s["kubeconfig"], s["context"]) for s in sites]
    query_fleet(auths, models, 30)
    times = []
    for dummy in range(runs):
        if cold:
            clear_cache()
        started = time.monotonic()
        result = query_fleet(auths, models, 30)
        times.append(time.monotonic() - started)
        assert not result["unreachable_sites"], result["unreachable_sites"]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not LAB_JSON.exists():
        sys.exit("the lab is not up: run `python -m lab up` first")
    lab = json.loads(LAB_JSON.read_text())
    sites = [{"name": s["name"], "kubeconfig": s["kubeconfig"], "context": s["context"]} for s in lab["sites"]]
    rtt = {s["name"]: s["rtt_ms"] for s in lab["sites"]}
    namespace = "bench-mv-%s" % uuid.uuid4().hex[:6]
    models = [{"name": "m%02d" % m, "namespace": namespace, "version": "2"} for m in range(args.models)]
    rows = []
    try:
        setup(sites, namespace, args.models)

        mv_wall, mv_doc = run_playbook(play([versions_task(sites, models)]))
        mv_task = task_seconds(mv_doc["plays"][0]["tasks"][0])
        fleet = mv_doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
        info_wall, info_doc = run_playbook(play(k8s_info_tasks(sites, models)))
        info_task = sum(task_seconds(t) for t in info_doc["plays"][0]["tasks"])
        rows.append(("playbook wall: k8s_info loop / model_versions", info_wall, mv_wall, info_wall / mv_wall, ">= 20"))
        rows.append(("task time: k8s_info loop / model_versions", info_task, mv_task, info_task / mv_task, ">= 20"))

        slowest = max(sites, key=lambda s: rtt[s["name"]])
        for cold in (True, False):
            all_sites = module_elapsed(sites, models, args.runs, cold)
            one_site = module_elapsed([slowest], models, args.runs, cold)
            label = "all %d sites / slowest alone (%s, %s ms RTT), %s clients" % (
                len(sites), slowest["name"], rtt[slowest["name"]], "cold" if cold else "warm")
            rows.append((label, all_sites, one_site, all_sites / one_site, "<= 1.5"))
    finally:
        teardown(sites, namespace)

    print("model_versions benchmark: %d sites x %d models (%s); %s" % (
        len(sites), args.models, ", ".join("%s %s ms" % (s, r) for s, r in rtt.items()), fleet["summary"]))
    print("%-62s %10s %10s %8s %8s" % ("comparison A / B", "A (s)", "B (s)", "A/B", "target"))
    for name, a, b, ratio, target in rows:
        print("%-62s %10.3f %10.3f %8.2f %8s" % (name, a, b, ratio, target))


if __name__ == "__main__":
    main()
