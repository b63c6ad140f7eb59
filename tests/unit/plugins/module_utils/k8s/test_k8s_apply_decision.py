"""apply_object's `changed` against a server that defaults, normalises and removes fields (k8s_server):
the decision must come from the server's dry run compared with the live object, over metadata and
spec alike. Each test names the wrong decision it rules out."""
from __future__ import annotations

import pytest

from k8s_server import ApiServer, default, forget, merge, quantity

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.apply import apply_object

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "serving"}}


def manifest(env=None, labels=None, gpus=1, image="registry.example.com/serving/triton:24.05"):
    container = {"name": "model-server", "image": image, "resources": {"limits": {"nvidia.com/gpu": gpus}},
                 "ports": [{"name": "http", "containerPort": 8080}]}
    if env is not None:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "llm", "namespace": "serving",
                     "labels": dict({"app.kubernetes.io/name": "llm", "app.kubernetes.io/version": "1.0"}, **(labels or {}))},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app.kubernetes.io/name": "llm"}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": "llm"}},
                              "spec": {"containers": [container]}}},
    }


def server_with(applied):
    server = ApiServer({("Namespace", "serving"): NAMESPACE})
    server.apply(applied, "gpufleet.datacenter")
    return server


def decide(server, desired, check_mode=False):
    return apply_object(server.client, desired, "gpufleet.datacenter", check_mode=check_mode)


def test_same_manifest_again_is_unchanged_although_the_server_added_defaults():
    # Rules out comparing our manifest with the live object: the live one carries imagePullPolicy,
    # strategy, terminationMessagePath... and the quantity "1" where we sent the integer 1.
    server = server_with(manifest(env={"A": "1"}))
    live = server.get("Deployment", "llm")
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent" and container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    result = decide(server, manifest(env={"A": "1"}))
    assert result.changed is False
    assert [c.kwargs.get("dry_run") for c in server.client.apply.call_args_list] == [True]


def test_env_var_removed_from_the_release_is_a_change_and_is_removed():
    # Rules out comparing only the fields our new manifest names: B is in neither new field set.
    server = server_with(manifest(env={"A": "1", "B": "2"}))
    result = decide(server, manifest(env={"A": "1"}))
    assert result.changed is True
    env = server.get("Deployment", "llm")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "1"}]
    assert [e["name"] for e in result.before["spec"]["template"]["spec"]["containers"][0]["env"]] == ["A", "B"]


def test_label_only_change_is_a_change():
    # Rules out comparing the spec only.
    server = server_with(manifest())
    result = decide(server, manifest(labels={"team": "inference"}))
    assert result.changed is True
    assert server.get("Deployment", "llm")["metadata"]["labels"]["team"] == "inference"


def test_label_removed_is_a_change():
    server = server_with(manifest(labels={"team": "inference"}))
    result = decide(server, manifest())
    assert result.changed is True
    assert "team" not in server.get("Deployment", "llm")["metadata"]["labels"]


def test_a_field_another_manager_set_stays_and_is_no_change_of_ours():
    server = server_with(manifest())
    server.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "llm", "namespace": "serving", "annotations": {"owner": "ops"}}}, "kubectl")
    result = decide(server, manifest())
    assert result.changed is False
    assert server.get("Deployment", "llm")["metadata"]["annotations"] == {"owner": "ops"}


@pytest.mark.parametrize("check_mode, stored_gpus", [(False, "2"), (True, "1")])
def test_a_real_change_is_applied_unless_check_mode(check_mode, stored_gpus):
    server = server_with(manifest())
    result = decide(server, manifest(gpus=2), check_mode=check_mode)
    assert result.changed is True and result.created is False
    assert server.get("Deployment", "llm")["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "nvidia.com/gpu": stored_gpus}


def test_absent_object_is_created_once():
    server = ApiServer({("Namespace", "serving"): NAMESPACE})
    first = decide(server, manifest())
    second = decide(server, manifest())
    assert (first.changed, first.created, second.changed, second.created) == (True, True, False, False)


# The fake itself: a fake that is wrong in the way the echoing one was would make the tests above vacuous.

def test_fake_removes_what_the_same_manager_stopped_applying_and_only_that():
    live = {"a": 1, "b": {"x": 1, "y": 2}, "l": [{"name": "p", "v": 1}, {"name": "q", "v": 2}], "other": 3}
    before = {"a": 1, "b": {"x": 1, "y": 2}, "l": [{"name": "p", "v": 1}, {"name": "q", "v": 2}]}
    now = {"b": {"x": 1}, "l": [{"name": "q", "v": 2}]}
    assert forget(live, before, now) == {"b": {"x": 1}, "l": [{"name": "q", "v": 2}], "other": 3}


def test_fake_merges_named_lists_by_name():
    assert merge({"l": [{"name": "a", "v": 1, "w": 0}]}, {"l": [{"name": "b"}, {"name": "a", "v": 2}]}) == {
        "l": [{"name": "b"}, {"name": "a", "v": 2, "w": 0}]}


@pytest.mark.parametrize("value, canonical", [(1, "1"), ("1000m", "1"), ("0.5", "500m"), ("250m", "250m"), ("2Gi", "2Gi")])
def test_fake_normalises_quantities(value, canonical):
    assert quantity(value) == canonical


@pytest.mark.parametrize("name", ["deployment_apply.yaml", "service_apply.yaml"])
def test_fake_defaults_like_the_recorded_server(fixture, name):
    # The lab's kube-apiserver answered these dry-run applies of model_deploy's own manifests
    # (fixtures/k8s/dry_run/record.py): the fake must fill in the same defaults.
    recorded = fixture("dry_run/" + name)
    ours = default(recorded["sent"])
    ours["spec"].pop("clusterIP", None)
    assert ours["spec"] == recorded["returned"]["spec"]
    assert ours["metadata"]["labels"] == recorded["returned"]["metadata"]["labels"]


def test_fake_removes_a_field_like_the_recorded_server(fixture):
    first = fixture("dry_run/deployment_apply.yaml")["sent"]
    recorded = fixture("dry_run/deployment_env_removed.yaml")
    server = ApiServer({("Namespace", "gpufleet-record"): {"kind": "Namespace", "metadata": {"name": "gpufleet-record"}}})
    server.apply(first, "gpufleet.datacenter")
    predicted = server.apply(recorded["sent"], "gpufleet.datacenter", dry_run=True)
    assert predicted["spec"] == recorded["returned"]["spec"]


def test_a_new_object_is_applied_at_once_without_a_dry_run():
    # Rules out a second round trip per new object (50 new models on a distant site): nothing
    # exists, so the change is known without asking the server what it would do.
    server = ApiServer({("Namespace", "serving"): NAMESPACE})
    result = decide(server, manifest())
    assert result.changed is True and result.created is True
    assert [bool(c.kwargs.get("dry_run")) for c in server.client.apply.call_args_list] == [False]
    assert server.get("Deployment", "llm")["spec"]["replicas"] == 2
    assert result.after["spec"]["replicas"] == 2


def test_a_new_object_in_check_mode_is_only_dry_run():
    # Rules out the shortcut reaching check mode: there the server only says what it would do.
    server = ApiServer({("Namespace", "serving"): NAMESPACE})
    result = decide(server, manifest(), check_mode=True)
    assert result.changed is True
    assert [c.kwargs.get("dry_run") for c in server.client.apply.call_args_list] == [True]
    assert server.get("Deployment", "llm") is None
