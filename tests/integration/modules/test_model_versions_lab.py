"""model_versions against the lab's three real control planes, including a partitioned and a down site."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import SiteAuth, get_client
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import DeployRunner

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.lab


def run_module(module: str, args: dict, check: bool = False, timeout: float = 300) -> dict:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-m", "gpufleet.datacenter.%s" % module, "-a", json.dumps(args)] + (["--check"] if check else [])
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    try:
        return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except ValueError:
        raise AssertionError("ansible output is not JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))


def deploy(site, namespace, name, version, image="registry.invalid/llm:1"):
    params = {"name": name, "namespace": namespace, "create_namespace": True, "state": "present", "image": image,
              "allow_latest": False, "require_digest": False, "model_version": version, "replicas": 1, "gpus": 1,
              "gpu_product": site.gpu_product, "runtime_class": "none", "port": 8080,
              "revision_history_limit": 2, "progress_deadline_seconds": 600, "service": False,
              "field_manager": "gpufleet.datacenter", "force_conflicts": True, "wait": True, "wait_timeout": 90,
              "wait_sleep": 0.5}
    kube = get_client(SiteAuth(site.name, site.kubeconfig, site.context))
    return DeployRunner(kube, params, check_mode=False).run()


@pytest.fixture(scope="module")
def fleet(lab):
    """Two models in every site; lab.sites[1] runs an older version of `llm`, and `emb` is missing on the last site."""
    namespace = "k8smods-fleet-%s" % uuid.uuid4().hex[:8]
    for i, site in enumerate(lab.sites):
        deploy(site, namespace, "llm", "1.0" if i == 1 else "2.0")
        if i != len(lab.sites) - 1:
            deploy(site, namespace, "emb", "7", image="registry.invalid/emb:7")
    yield namespace
    for site in lab.sites:
        try:
            client.CoreV1Api(lab.kube(site)).delete_namespace(namespace)
        except ApiException:
            pass


def args(lab, namespace, **extra):
    doc = {"sites": [{"name": s.name, "kubeconfig": s.kubeconfig, "context": s.context} for s in lab.sites],
           "models": [{"name": "llm", "namespace": namespace, "version": "2.0"},
                      {"name": "emb", "namespace": namespace, "version": "7", "image": "registry.invalid/emb:7"}]}
    doc.update(extra)
    return doc


def test_report_drift_and_missing(lab, fleet):
    result = run_module("model_versions", args(lab, fleet), check=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is False and result["unreachable_sites"] == []
    drift = sorted((d["site"], d["name"], tuple(d["drift_reasons"])) for d in result["drift"])
    assert drift == sorted([
        (lab.sites[1].name, "llm", ("version 1.0, want 2.0",)),
        (lab.sites[-1].name, "emb", ("Deployment %s/emb not found" % fleet,)),
    ])
    rows = {(r["site"], r["name"]): r for r in result["models"]}
    ok = rows[(lab.sites[0].name, "llm")]
    assert ok["in_sync"] and ok["running_version"] == "2.0" and ok["ready_replicas"] == ok["replicas"] == 1
    assert ok["running_image"] == "registry.invalid/llm:1" and ok["rollout_in_progress"] is False
    assert "%d site(s) x 2 model(s)" % len(lab.sites) in result["summary"]
    assert set(result["per_site"]) == {s.name for s in lab.sites}


def test_fail_on_drift(lab, fleet):
    result = run_module("model_versions", args(lab, fleet, fail_on_drift=True))
    assert result.get("failed") is True
    assert "%s/%s/llm (version 1.0, want 2.0)" % (lab.sites[1].name, fleet) in result["msg"]


def test_rollout_in_progress_is_reported(lab, fleet):
    # Its own Deployment: the fleet's shared ones stay as the other tests expect them, in any order.
    site = lab.sites[0]
    deploy(site, fleet, "rolling", "2.0")
    try:
        client.AppsV1Api(lab.kube(site)).patch_namespaced_deployment(
            "rolling", fleet, {"spec": {"template": {"spec": {"containers": [
                {"name": "model-server", "image": "registry.invalid/llm-broken:3"}]}}}})
        doc = args(lab, fleet)
        doc["sites"] = doc["sites"][:1]
        doc["models"] = [{"name": "rolling", "namespace": fleet, "version": "2.0"}]
        result = run_module("model_versions", doc)
        row = next(r for r in result["models"] if r["site"] == site.name and r["name"] == "rolling")
        # Still labelled 2.0, so not drift, but neither in sync while the new pods never get Ready.
        assert row["rollout_in_progress"] is True and row["in_sync"] is False and row["drifted"] is False
        assert row["running_image"] == "registry.invalid/llm-broken:3"
    finally:
        client.AppsV1Api(lab.kube(site)).delete_namespaced_deployment("rolling", fleet)


def test_partitioned_site_is_unreachable_within_site_timeout(lab, fleet):
    victim = lab.sites[-1]
    lab.fault(victim, "partition")
    try:
        started = time.monotonic()
        result = run_module("model_versions", args(lab, fleet, site_timeout=3, allow_unreachable=True))
        wall = time.monotonic() - started
    finally:
        lab.fault(victim, "heal")
    assert result.get("failed") is not True, result
    assert [u["site"] for u in result["unreachable_sites"]] == [victim.name]
    # Bounded by the site timeout, not by a TCP or read timeout (30 s and more) on the dropped link;
    # the slack is for a loaded CI host (molecule beside it on 2 cores), the figures are in bench/.
    assert result["elapsed"] < 3 + 10, "the partitioned site must not hold the others"
    assert wall < 3 + 90
    assert result["per_site"][lab.sites[0].name]["reachable"] is True
    assert all(r["exists"] is None for r in result["models"] if r["site"] == victim.name)


def test_down_site_fails_unless_allowed(lab, fleet):
    victim = lab.sites[-1]
    lab.fault(victim, "down")
    try:
        strict = run_module("model_versions", args(lab, fleet, site_timeout=10))
        lenient = run_module("model_versions", args(lab, fleet, site_timeout=10, allow_unreachable=True))
    finally:
        lab.fault(victim, "up")
    assert strict.get("failed") is True and victim.name in strict["msg"] and "unreachable" in strict["msg"]
    assert lenient.get("failed") is not True and [u["site"] for u in lenient["unreachable_sites"]] == [victim.name]
