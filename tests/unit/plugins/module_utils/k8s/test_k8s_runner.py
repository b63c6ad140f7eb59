from __future__ import annotations

import copy

import pytest

from k8s_fixtures import load_fixture
from k8s_server import ApiServer

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import PolicyError, DeploymentStuck
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import previous, running_image, running_version
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import DeployRunner


def complete(obj):
    obj = copy.deepcopy(obj)
    replicas = obj["spec"]["replicas"]
    obj["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "1"
    # The controller has seen the latest spec (the server bumps generation on every spec change).
    obj["status"] = {"observedGeneration": obj["metadata"].get("generation", 1), "replicas": replicas, "updatedReplicas": replicas,
                     "readyReplicas": replicas, "availableReplicas": replicas}
    return obj


NAMESPACE = {("Namespace", "serving"): {"kind": "Namespace", "metadata": {"name": "serving"}}}


def test_first_deploy_then_idempotent(deploy_params):
    api = ApiServer(NAMESPACE)
    deploy_params["wait"] = False
    first = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert first["changed"] is True and first["previous"] is None
    assert [o["kind"] for o in first["objects"]] == ["Deployment", "Service"]
    assert all(o["created"] for o in first["objects"])
    assert first["diff"][0]["before"] == {} and first["diff"][0]["after"]["spec"]["replicas"] == 2
    second = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert second["changed"] is False and second["diff"] == []
    assert second["previous"]["version"] == "1.0"
    assert second["previous"]["image"] == deploy_params["image"]


def test_check_mode_writes_nothing(deploy_params):
    api = ApiServer(NAMESPACE)
    result = DeployRunner(api.client, deploy_params, check_mode=True).run()
    assert result["changed"] is True
    assert ("Deployment", "llm") not in api.objects
    assert all(c.kwargs.get("dry_run") for c in api.client.apply.call_args_list)
    assert result["rollout_complete"] is False


def test_missing_namespace_is_an_error_naming_it(deploy_params):
    api = ApiServer()
    with pytest.raises(PolicyError, match="namespace serving does not exist.*create_namespace") as err:
        DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert "at site lab-a" in str(err.value)


def test_missing_namespace_created_or_planned(deploy_params):
    deploy_params.update(create_namespace=True, wait=False)
    api = ApiServer()
    planned = DeployRunner(api.client, deploy_params, check_mode=True).run()
    assert [o["kind"] for o in planned["objects"]] == ["Namespace", "Deployment", "Service"]
    assert api.objects == {} and not api.client.apply.called
    done = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert ("Namespace", "serving") in api.objects and done["changed"]


def test_upgrade_reports_previous_and_waits(deploy_params):
    api = ApiServer(NAMESPACE)
    deploy_params["wait"] = False
    DeployRunner(api.client, deploy_params, check_mode=False).run()
    api.objects[("Deployment", "llm")] = complete(api.objects[("Deployment", "llm")])
    deploy_params.update(model_version="2.0", image="registry.example.com/serving/triton:24.06", wait=True)

    real_apply = api.apply

    def apply_then_roll(obj, fm, force=True, dry_run=False):
        out = real_apply(obj, fm, force, dry_run)
        if not dry_run and obj["kind"] == "Deployment":
            api.objects[("Deployment", "llm")] = complete(api.objects[("Deployment", "llm")])
            api.objects[("Deployment", "llm")]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "2"
        return out
    api.client.apply.side_effect = apply_then_roll
    result = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert result["previous"] == {"version": "1.0", "image": "registry.example.com/serving/triton:24.05",
                                  "revision": 1, "replicas": 2}
    assert result["revision"] == 2 and result["rollout_complete"] is True
    assert result["ready_replicas"] == 2 and result["model_version"] == "2.0"


def test_rollout_failure_keeps_partial_result(deploy_params):
    api = ApiServer(NAMESPACE)
    deploy_params.update(wait_timeout=0.05)
    with pytest.raises(DeploymentStuck) as err:
        DeployRunner(api.client, deploy_params, check_mode=False).run()
    result = err.value.result
    assert result["changed"] is True and result["site"] == "lab-a"
    assert result["diagnosis"]["reason"] == "Progressing"
    assert result["rollout_complete"] is False and "elapsed" in result


def test_absent(deploy_params):
    api = ApiServer(NAMESPACE)
    deploy_params["wait"] = False
    DeployRunner(api.client, deploy_params, check_mode=False).run()
    deploy_params.update(state="absent", wait=True)
    check = DeployRunner(api.client, deploy_params, check_mode=True).run()
    assert check["changed"] is True and ("Deployment", "llm") in api.objects
    gone = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert gone["changed"] is True and ("Deployment", "llm") not in api.objects and ("Service", "llm") not in api.objects
    assert gone["previous"]["version"] == "1.0"
    again = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert again["changed"] is False


def test_snapshot_helpers():
    d = load_fixture("deployment_llm.yaml")
    assert running_image(d) == "registry.example.com/serving/triton:24.05"
    assert running_image(d, "other") == "registry.example.com/serving/triton:24.05"
    assert running_version(d) == "1.0"
    assert previous(None) is None
    assert previous(d) == {"version": "1.0", "image": "registry.example.com/serving/triton:24.05",
                           "revision": 2, "replicas": 2}


def test_runners_of_one_step_check_the_namespace_once_and_read_the_deployment_once(deploy_params):
    api = ApiServer(NAMESPACE)
    deploy_params["wait"] = False
    known = set()
    for name in ("a", "b", "c"):
        DeployRunner(api.client, dict(deploy_params, name=name), check_mode=False, namespaces=known).run()
    gets = [c.args[:2] for c in api.client.get.call_args_list]
    assert gets.count(("Namespace", "serving")) == 1 and known == {"serving"}
    assert gets.count(("Deployment", "b")) == 1, "the runner's own read is handed to the apply"
    assert gets.count(("Service", "b")) == 1
