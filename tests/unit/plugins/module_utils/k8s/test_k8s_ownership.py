"""Only what this collection created is changed or removed (runner.refuse_foreign), and a diff
shows literal env values only as fingerprints."""
from __future__ import annotations

import copy

import pytest

from k8s_server import ApiServer

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import fingerprint
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import PolicyError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import foreign_manager
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import DeployRunner

NAMESPACE = {("Namespace", "serving"): {"kind": "Namespace", "metadata": {"name": "serving"}}}


def foreign(labels=None, managers=("kubectl-client-side-apply",)):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "llm", "namespace": "serving", "labels": labels or {"app": "llm"},
                         "managedFields": [{"manager": m} for m in managers]},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "x", "image": "other:1"}]}}}}


@pytest.mark.parametrize("obj, manager", [
    (None, None),
    (foreign({"app.kubernetes.io/managed-by": "gpufleet.datacenter"}), None),
    (foreign({"app.kubernetes.io/managed-by": "Helm"}), "Helm"),
    (foreign(), "kubectl-client-side-apply"),
    (foreign(managers=()), "an unknown manager (no managed-by label)"),
])
def test_foreign_manager(obj, manager):
    assert foreign_manager(obj) == manager


def test_a_foreign_deployment_of_the_same_name_is_refused_and_left_alone(deploy_params):
    api = ApiServer({**NAMESPACE, ("Deployment", "llm"): foreign({"app.kubernetes.io/managed-by": "Helm"})})
    before = copy.deepcopy(api.objects)
    deploy_params["wait"] = False
    with pytest.raises(PolicyError) as info:
        DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert "Deployment serving/llm" in str(info.value) and "managed by Helm" in str(info.value)
    assert "adopt: true" in str(info.value)
    assert api.objects == before and not api.client.apply.called


def test_state_absent_refuses_a_foreign_object(deploy_params):
    api = ApiServer({**NAMESPACE, ("Deployment", "llm"): foreign()})
    deploy_params.update(state="absent", wait=False)
    with pytest.raises(PolicyError, match="refusing to delete it"):
        DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert ("Deployment", "llm") in api.objects


def test_adopt_takes_it_over(deploy_params):
    api = ApiServer({**NAMESPACE, ("Deployment", "llm"): foreign()})
    deploy_params.update(adopt=True, wait=False)
    result = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert result["changed"] is True
    assert api.objects[("Deployment", "llm")]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == \
        "gpufleet.datacenter"


def test_the_diff_shows_env_values_only_as_fingerprints(deploy_params):
    api = ApiServer(NAMESPACE)
    deploy_params.update(wait=False, env={"HF_TOKEN": "hf_very_secret", "KEY": {"secret": "s", "key": "k"}})
    result = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert "hf_very_secret" not in repr(result)
    env = result["diff"][0]["after"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "HF_TOKEN", "sha256": fingerprint("hf_very_secret")} in env
    assert {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}} in env
    stored = api.objects[("Deployment", "llm")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "HF_TOKEN", "value": "hf_very_secret"} in stored


def test_network_policy_denies_all_ingress_but_the_model_port_and_goes_with_the_model(deploy_params):
    api = ApiServer(NAMESPACE)
    peers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}]
    deploy_params.update(wait=False, network_policy=True, network_policy_from=peers)
    result = DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert [o["kind"] for o in result["objects"]] == ["Deployment", "Service", "NetworkPolicy"]
    policy = api.objects[("NetworkPolicy", "llm")]
    assert policy["spec"]["podSelector"]["matchLabels"] == \
        api.objects[("Deployment", "llm")]["spec"]["selector"]["matchLabels"]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [{"ports": [{"port": deploy_params["port"], "protocol": "TCP"}],
                                          "from": peers}]
    deploy_params.update(state="absent")
    DeployRunner(api.client, deploy_params, check_mode=False).run()
    assert ("NetworkPolicy", "llm") not in api.objects and ("Deployment", "llm") not in api.objects
