"""model_deploy against the lab's real control planes (kube-apiserver, scheduler, controllers, kwok).

The module runs through `ansible` itself (ad-hoc, json callback) so check mode, diff and
idempotence are Ansible's, not a re-implementation. Each test works in its own namespace.
The lab has no NVIDIA RuntimeClass, so tests pass runtime_class none, except the two that test
that behaviour: a missing RuntimeClass is diagnosed, and one the test creates is honoured.
"""
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

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.lab


def run_module(module: str, args: dict, check: bool = False, diff: bool = False, timeout: float = 300) -> dict:
    """Run gpufleet.datacenter.<module> with ansible ad-hoc and return its result dict."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-m", "gpufleet.datacenter.%s" % module, "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible output is not JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    return doc["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture
def site(lab):
    return lab.sites[0]


@pytest.fixture
def namespace(lab, site):
    name = "k8smods-%s" % uuid.uuid4().hex[:8]
    api = lab.kube(site)
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    yield name
    try:
        client.CoreV1Api(api).delete_namespace(name)
    except ApiException as e:
        if e.status != 404:
            raise


def deploy_args(site, namespace, **extra):
    args = {"site": site.name, "kubeconfig": site.kubeconfig, "context": site.context, "name": "llm",
            "namespace": namespace, "image": "registry.invalid/llm:1.0", "model_version": "1.0",
            "replicas": 2, "gpus": 1, "gpu_product": site.gpu_product, "runtime_class": "none",
            "wait_timeout": 90, "wait_sleep": 0.5}
    args.update(extra)
    return args


def read_deployment(lab, site, namespace, name="llm"):
    return client.AppsV1Api(lab.kube(site)).read_namespaced_deployment(name, namespace)


def test_deploy_check_diff_idempotence_and_upgrade(lab, site, namespace):
    args = deploy_args(site, namespace)

    planned = run_module("model_deploy", args, check=True, diff=True)
    assert planned["changed"] is True, planned
    assert planned["diff"][0]["after"]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == "1.0"
    with pytest.raises(ApiException) as err:
        read_deployment(lab, site, namespace)
    assert err.value.status == 404, "check mode must not create anything"

    first = run_module("model_deploy", args)
    assert first["changed"] is True and first.get("failed") is not True, first
    assert first["rollout_complete"] is True and first["ready_replicas"] == 2 and first["revision"] == 1
    assert first["previous"] is None and first["site"] == site.name
    live = read_deployment(lab, site, namespace)
    assert live.metadata.labels["app.kubernetes.io/version"] == "1.0"
    assert live.spec.template.metadata.annotations["app.kubernetes.io/version"] == "1.0"
    container = live.spec.template.spec.containers[0]
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    assert live.spec.template.spec.node_selector == {"nvidia.com/gpu.product": site.gpu_product}
    assert container.security_context.allow_privilege_escalation is False
    assert any(m.manager == "gpufleet.datacenter" and m.operation == "Apply" for m in live.metadata.managed_fields)

    again = run_module("model_deploy", args, diff=True)
    assert again["changed"] is False, again.get("diff")
    assert run_module("model_deploy", args, check=True)["changed"] is False

    upgrade = deploy_args(site, namespace, image="registry.invalid/llm:2.0", model_version="2.0")
    preview = run_module("model_deploy", upgrade, check=True, diff=True)
    assert preview["changed"] is True
    containers_before = preview["diff"][0]["before"]["spec"]["template"]["spec"]["containers"]
    containers_after = preview["diff"][0]["after"]["spec"]["template"]["spec"]["containers"]
    assert containers_before[0]["image"] == "registry.invalid/llm:1.0"
    assert containers_after[0]["image"] == "registry.invalid/llm:2.0"
    assert read_deployment(lab, site, namespace).metadata.labels["app.kubernetes.io/version"] == "1.0"

    done = run_module("model_deploy", upgrade)
    assert done["changed"] is True and done["rollout_complete"] is True, done
    assert done["previous"] == {"version": "1.0", "image": "registry.invalid/llm:1.0", "revision": 1, "replicas": 2}
    assert done["revision"] == 2 and done["updated_replicas"] == 2 and done["available_replicas"] == 2


def test_too_many_gpus_fails_within_timeout_naming_site(lab, site, namespace):
    started = time.monotonic()
    result = run_module("model_deploy", deploy_args(site, namespace, replicas=1, gpus=site.gpus_per_node + 1,
                                                    wait_timeout=15))
    elapsed = time.monotonic() - started
    assert result.get("failed") is True, result
    assert "Insufficient nvidia.com/gpu" in result["msg"] and site.name in result["msg"]
    assert result["diagnosis"]["reason"] == "InsufficientGPU"
    assert result["diagnosis"]["pods"][0]["events"], "the scheduler's event is returned"
    # Bounded by wait_timeout, not hung; the slack is for a loaded CI host (molecule beside it on 2 cores).
    assert result["elapsed"] <= 15 + 10
    assert elapsed < 15 + 90  # ansible start-up included


@pytest.mark.parametrize("image, reason, fragment", [
    ("registry.invalid/llm-pullfail:1.0", "ImagePullBackOff", "Back-off pulling image"),
    ("registry.invalid/llm-broken:1.0", "ReadinessFailing", "not Ready"),
])
def test_failing_pods_are_diagnosed(lab, site, namespace, image, reason, fragment):
    result = run_module("model_deploy", deploy_args(site, namespace, image=image, replicas=1, wait_timeout=12))
    assert result.get("failed") is True, result
    assert result["diagnosis"]["reason"] == reason
    assert fragment in result["msg"] and "at site %s" % site.name in result["msg"]
    assert result["ready_replicas"] == 0 and result["rollout_complete"] is False


def test_unknown_gpu_product_names_the_products_the_site_has(lab, site, namespace):
    result = run_module("model_deploy", deploy_args(site, namespace, gpu_product="NVIDIA-B200", replicas=1,
                                                    wait_timeout=10))
    assert result.get("failed") is True
    assert result["diagnosis"]["reason"] == "NoMatchingGPUProduct"
    assert "NVIDIA-B200" in result["msg"] and site.gpu_product in result["msg"]


def test_missing_runtime_class_is_diagnosed(lab, site, namespace):
    result = run_module("model_deploy", deploy_args(site, namespace, runtime_class="nvidia-absent-%s" % namespace,
                                                    replicas=1, wait_timeout=10))
    assert result.get("failed") is True
    assert result["diagnosis"]["reason"] == "FailedCreate"
    assert "RuntimeClass" in result["msg"] and site.name in result["msg"]


def test_runtime_class_that_exists_is_used(lab, site, namespace):
    node_api = client.NodeV1Api(lab.kube(site))
    name = "nvidia-%s" % namespace
    node_api.create_runtime_class({"metadata": {"name": name}, "handler": "nvidia"})
    try:
        result = run_module("model_deploy", deploy_args(site, namespace, runtime_class=name, replicas=1))
        assert result["rollout_complete"] is True, result
        assert read_deployment(lab, site, namespace).spec.template.spec.runtime_class_name == name
    finally:
        node_api.delete_runtime_class(name)


def test_namespace_created_only_when_asked(lab, site):
    namespace = "k8smods-new-%s" % uuid.uuid4().hex[:8]
    core = client.CoreV1Api(lab.kube(site))
    try:
        refused = run_module("model_deploy", deploy_args(site, namespace, wait=False))
        assert refused.get("failed") is True and "create_namespace" in refused["msg"]
        planned = run_module("model_deploy", deploy_args(site, namespace, create_namespace=True), check=True)
        assert planned["changed"] is True
        assert [o["kind"] for o in planned["objects"]] == ["Namespace", "Deployment", "Service"]
        with pytest.raises(ApiException):
            core.read_namespace(namespace)
        created = run_module("model_deploy", deploy_args(site, namespace, create_namespace=True))
        assert created["rollout_complete"] is True, created
        assert core.read_namespace(namespace).metadata.name == namespace
    finally:
        try:
            core.delete_namespace(namespace)
        except ApiException:
            pass


def test_absent_removes_and_is_idempotent(lab, site, namespace):
    run_module("model_deploy", deploy_args(site, namespace, wait=False))
    absent = deploy_args(site, namespace, state="absent")
    assert run_module("model_deploy", absent, check=True)["changed"] is True
    read_deployment(lab, site, namespace)  # still there after check mode
    gone = run_module("model_deploy", absent)
    assert gone["changed"] is True and gone["previous"]["version"] == "1.0"
    with pytest.raises(ApiException):
        read_deployment(lab, site, namespace)
    with pytest.raises(ApiException):
        client.CoreV1Api(lab.kube(site)).read_namespaced_service("llm", namespace)
    assert run_module("model_deploy", absent)["changed"] is False
