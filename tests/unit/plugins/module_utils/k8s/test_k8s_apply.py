from __future__ import annotations

import copy
from unittest.mock import Mock, call

import pytest

from k8s_fixtures import load_fixture

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.apply import apply_object, comparable, project

MANIFEST = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "llm", "namespace": "serving", "labels": {"app.kubernetes.io/version": "1.0"}},
    "spec": {"replicas": 2, "template": {"spec": {"containers": [
        {"name": "model-server", "image": "registry.example.com/serving/triton:24.05"}]}}},
}


def client_for(live, predicted):
    client = Mock(site="lab-a")
    client.get.return_value = live
    client.apply.side_effect = lambda obj, fm, force=True, dry_run=False: (
        predicted if dry_run else dict(predicted, applied=True))
    return client


def test_unchanged_when_dry_run_equals_live_except_bookkeeping():
    live = load_fixture("deployment_llm.yaml")
    predicted = copy.deepcopy(live)
    predicted["metadata"]["managedFields"] = [{"manager": "gpufleet.datacenter", "time": "later"}]
    predicted["metadata"]["resourceVersion"] = "9999"
    predicted["status"] = {}
    client = client_for(live, predicted)
    result = apply_object(client, MANIFEST, "gpufleet.datacenter", check_mode=False)
    assert result.changed is False and result.created is False
    # Only the dry run reached the server.
    assert client.apply.call_args_list == [call(MANIFEST, "gpufleet.datacenter", force=True, dry_run=True)]


@pytest.mark.parametrize("check_mode, applies", [(False, 2), (True, 1)])
def test_changed_applies_unless_check_mode(check_mode, applies):
    live = load_fixture("deployment_llm.yaml")
    predicted = copy.deepcopy(live)
    predicted["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.com/serving/triton:24.06"
    predicted["metadata"]["generation"] = 3
    client = client_for(live, predicted)
    result = apply_object(client, MANIFEST, "gpufleet.datacenter", check_mode=check_mode)
    assert result.changed is True
    assert client.apply.call_count == applies
    assert result.before["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":24.05")
    assert result.after["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":24.06")
    # diff covers only managed fields: no status, no managedFields.
    assert "status" not in result.before and "managedFields" not in result.before["metadata"]


def test_created_when_absent():
    predicted = copy.deepcopy(MANIFEST)
    client = client_for(None, predicted)
    result = apply_object(client, MANIFEST, "gpufleet.datacenter", check_mode=True)
    assert result.changed and result.created and result.before == {}
    assert result.after == MANIFEST


def test_comparable_ignores_volatile_metadata():
    live = load_fixture("deployment_llm.yaml")
    assert set(comparable(live)["metadata"]) == {"name", "namespace", "labels", "annotations"}
    assert comparable(None) == {}


@pytest.mark.parametrize("obj, shape, expected", [
    ({"a": 1, "b": 2}, {"a": None}, {"a": 1}),
    ({"a": {"x": 1, "y": 2}}, {"a": {"x": 0}, "missing": 1}, {"a": {"x": 1}}),
    # named lists line up by name, whatever the order on the server
    ([{"name": "b", "v": 2, "extra": 1}, {"name": "a", "v": 1}], [{"name": "a", "v": 0}, {"name": "b", "v": 0}],
     [{"name": "b", "v": 2}, {"name": "a", "v": 1}]),
    # plain lists: index by index, server-added items kept visible
    (["x", "y", "z"], ["x"], ["x", "y", "z"]),
    ({"a": "scalar"}, {"a": {"deep": 1}}, {"a": "scalar"}),
])
def test_project(obj, shape, expected):
    assert project(obj, shape) == expected


class NamespacedApi:
    """Objects keyed by kind, namespace and name as the API server keeps them; a dry run answers
    the manifest as the server would store it (no defaulting needed for these checks)."""

    def __init__(self, *objects):
        self.objects = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects}
        self.writes = []

    def get(self, kind, name, namespace=None):
        return copy.deepcopy(self.objects.get((kind, namespace, name)))

    def apply(self, obj, field_manager, force=True, dry_run=False):
        if not dry_run:
            self.writes.append(obj)
        return copy.deepcopy(obj)


def test_the_live_object_is_read_in_the_manifests_namespace():
    api = NamespacedApi(copy.deepcopy(MANIFEST))
    result = apply_object(api, MANIFEST, "gpufleet.datacenter", check_mode=False)
    assert (result.changed, result.created, api.writes) == (False, False, [])
    assert result.live == MANIFEST
    elsewhere = copy.deepcopy(MANIFEST)
    elsewhere["metadata"]["namespace"] = "other"
    result = apply_object(NamespacedApi(elsewhere), MANIFEST, "gpufleet.datacenter", check_mode=False)
    assert (result.changed, result.created) == (True, True)


def test_the_result_is_the_servers_object_whether_written_or_not():
    live = load_fixture("deployment_llm.yaml")
    unchanged = apply_object(client_for(live, copy.deepcopy(live)), MANIFEST, "gpufleet.datacenter", check_mode=False)
    assert unchanged.changed is False and unchanged.result == live
    predicted = copy.deepcopy(live)
    predicted["spec"]["replicas"] = 3
    planned = apply_object(client_for(live, predicted), MANIFEST, "gpufleet.datacenter", check_mode=True)
    assert planned.changed is True and planned.result == predicted
    written = apply_object(client_for(live, predicted), MANIFEST, "gpufleet.datacenter", check_mode=False)
    assert written.result == dict(predicted, applied=True)


@pytest.mark.parametrize("obj, shape, expected", [
    # each named item is cut to the shape of the item of that name; one only the server has stays whole
    ([{"name": "b", "v": 2, "extra": 1}, {"name": "c", "v": 3}, {"name": "a", "v": 1, "extra": 0}],
     [{"name": "a", "v": 0}, {"name": "b", "extra": 0}],
     [{"name": "b", "extra": 1}, {"name": "c", "v": 3}, {"name": "a", "v": 1}]),
    # not every item named on one side: index by index
    (["a", "b"], [{"name": "a"}], ["a", "b"]),
    ([{"name": "a", "v": 1}, {"v": 2, "w": 3}], [{"name": "a"}, {"v": 0}], [{"name": "a"}, {"v": 2}]),
    # no list where the manifest has one: the server's value as it is
    (None, [{"name": "a"}], None),
    ("text", ["x"], "text"),
])
def test_project_lines_named_lists_up_by_name(obj, shape, expected):
    assert project(obj, shape) == expected


@pytest.mark.parametrize("force", [True, False])
def test_the_real_apply_uses_the_same_conflict_setting_as_the_dry_run(force):
    live = load_fixture("deployment_llm.yaml")
    predicted = copy.deepcopy(live)
    predicted["spec"]["replicas"] = 3
    client = client_for(live, predicted)
    result = apply_object(client, MANIFEST, "gpufleet.datacenter", check_mode=False, force=force)
    assert client.apply.call_args_list == [call(MANIFEST, "gpufleet.datacenter", force=force, dry_run=True),
                                           call(MANIFEST, "gpufleet.datacenter", force=force)]
    # the diff's after side holds only what the manifest manages, like the before side
    assert "status" not in result.after and "managedFields" not in result.after["metadata"]
    assert result.after["spec"]["replicas"] == 3 and result.before["spec"]["replicas"] == 2
