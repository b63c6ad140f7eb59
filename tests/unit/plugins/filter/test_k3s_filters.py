"""k3s filters: the JSON patch that keeps a joined node's labels and taints in line, and the one-minor upgrade rule."""
import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.datacenter.plugins.filter.k3s import (
    MANAGED_LABELS_ANNOTATION, MANAGED_TAINTS_ANNOTATION, k3s_minor_skip, k3s_node_metadata_patch, k3s_taint)

FOREIGN_TAINT = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2026-12-01T10:00:00Z"}


def node(labels=None, taints=None, annotations=None):
    doc = {"metadata": {"name": "gpu-1", "labels": dict({"kubernetes.io/hostname": "gpu-1"}, **(labels or {}))}}
    if annotations is not None:
        doc["metadata"]["annotations"] = annotations
    if taints is not None:
        doc["spec"] = {"taints": taints}
    return doc


def apply_patch(doc, ops):
    """RFC 6902 add/remove/test on objects, as the API server applies the ones the filter emits."""
    doc = copy.deepcopy(doc)
    for op in ops:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        target = doc
        for part in parents:
            target = target[part]
        if op["op"] == "test":
            assert target[last] == op["value"], "test failed at %s" % op["path"]
        elif op["op"] == "add":
            target[last] = copy.deepcopy(op["value"])
        elif op["op"] == "remove":
            del target[last]
        else:
            raise AssertionError("unexpected op %r" % op)
    return doc


def applied(doc, labels, taints):
    """The node after the patch, as the API server would store it."""
    return apply_patch(doc, k3s_node_metadata_patch(doc, labels, taints))


@pytest.mark.parametrize("text,taint", [
    ("nvidia.com/gpu=present:NoSchedule", {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}),
    ("dedicated:NoExecute", {"key": "dedicated", "effect": "NoExecute"}),
    ("dedicated=:PreferNoSchedule", {"key": "dedicated", "effect": "PreferNoSchedule"}),
])
def test_taints_are_read_as_k3s_and_kubectl_write_them(text, taint):
    assert k3s_taint(text) == taint


@pytest.mark.parametrize("text", ["nvidia.com/gpu=present", "a=b:NoScheduleX", "=b:NoSchedule", ""])
def test_malformed_taints_are_refused(text):
    with pytest.raises(AnsibleFilterError, match="is not key"):
        k3s_taint(text)


def test_first_run_sets_labels_taints_and_records_them_keeping_foreign_taints():
    doc = node(taints=[FOREIGN_TAINT])
    after = applied(doc, {"gpufleet.io/role": "a"}, ["gpufleet.io/pool=x:NoSchedule"])
    assert after["metadata"]["labels"]["gpufleet.io/role"] == "a"
    assert after["spec"]["taints"] == [FOREIGN_TAINT, {"key": "gpufleet.io/pool", "value": "x", "effect": "NoSchedule"}]
    assert json.loads(after["metadata"]["annotations"][MANAGED_LABELS_ANNOTATION]) == ["gpufleet.io/role"]
    assert json.loads(after["metadata"]["annotations"][MANAGED_TAINTS_ANNOTATION]) == ["gpufleet.io/pool:NoSchedule"]
    # The taint list is replaced only under a test of the list that was read.
    ops = k3s_node_metadata_patch(doc, {"gpufleet.io/role": "a"}, ["gpufleet.io/pool=x:NoSchedule"])
    assert {"op": "test", "path": "/spec/taints", "value": [FOREIGN_TAINT]} in ops


def test_a_node_in_line_gets_no_patch():
    after = applied(node(taints=[FOREIGN_TAINT]), {"gpufleet.io/role": "a"}, ["gpufleet.io/pool=x:NoSchedule"])
    assert k3s_node_metadata_patch(after, {"gpufleet.io/role": "a"}, ["gpufleet.io/pool=x:NoSchedule"]) == []


def test_changed_values_replace_in_place():
    first = applied(node(taints=[FOREIGN_TAINT]), {"gpufleet.io/role": "a"}, ["gpufleet.io/pool=x:NoSchedule"])
    second = applied(first, {"gpufleet.io/role": "b"}, ["gpufleet.io/pool=y:NoSchedule"])
    assert second["metadata"]["labels"]["gpufleet.io/role"] == "b"
    assert second["spec"]["taints"] == [FOREIGN_TAINT, {"key": "gpufleet.io/pool", "value": "y", "effect": "NoSchedule"}]


def test_only_what_the_role_recorded_is_removed():
    # A label and taint the operator set by hand, with names the role never recorded.
    hand = {"key": "maintenance", "effect": "NoSchedule"}
    first = applied(node(labels={"team": "ml"}, taints=[hand]), {"gpufleet.io/role": "a"},
                    ["gpufleet.io/pool=x:NoSchedule"])
    after = applied(first, {}, [])
    assert "gpufleet.io/role" not in after["metadata"]["labels"]
    assert after["metadata"]["labels"]["team"] == "ml"
    assert after["spec"]["taints"] == [hand]
    assert json.loads(after["metadata"]["annotations"][MANAGED_TAINTS_ANNOTATION]) == []
    assert k3s_node_metadata_patch(after, {}, []) == []


def test_the_last_taint_removed_removes_the_list():
    first = applied(node(), {}, ["gpufleet.io/pool=x:NoSchedule"])
    after = applied(first, {}, [])
    assert "taints" not in after["spec"]


def test_a_label_set_by_someone_else_with_the_same_name_is_taken_over_not_removed_later():
    # The role recorded nothing yet: a label of that name is set to the wanted value, and only
    # from then on counts as the role's.
    first = applied(node(labels={"gpufleet.io/role": "old"}), {"gpufleet.io/role": "a"}, [])
    assert first["metadata"]["labels"]["gpufleet.io/role"] == "a"


def test_label_names_with_slashes_and_tildes_are_escaped():
    after = applied(node(), {"example.com/a~b": "1"}, [])
    assert after["metadata"]["labels"]["example.com/a~b"] == "1"


def test_repeated_taint_keys_are_refused():
    with pytest.raises(AnsibleFilterError, match="repeat a key and effect"):
        k3s_node_metadata_patch(node(), {}, ["a=1:NoSchedule", "a=2:NoSchedule"])


@pytest.mark.parametrize("current,target", [
    ("v1.31.4+k3s1", "v1.33.5+k3s1"),
    ("v1.30.0+k3s1", "v1.32.0+k3s1"),
    ("1.31.4", "v1.34.1+k3s1"),
])
def test_an_upgrade_that_skips_a_minor_is_refused(current, target):
    problem = k3s_minor_skip(current, target)
    assert "skips a minor version" in problem
    assert "upgrade to v1.%d first" % (int(current.lstrip("v").split(".")[1]) + 1) in problem


@pytest.mark.parametrize("current,target", [
    ("v1.32.9+k3s1", "v1.33.5+k3s1"),   # next minor
    ("v1.33.4+k3s1", "v1.33.5+k3s1"),   # patch
    ("v1.33.5+k3s1", "v1.33.5+k3s2"),   # k3s revision
    ("", "v1.33.5+k3s1"),               # unknown version: not this rule's question
])
def test_one_minor_at_a_time_is_allowed(current, target):
    assert k3s_minor_skip(current, target) == ""


def test_a_major_change_is_refused():
    assert "changes the major version" in k3s_minor_skip("v1.33.5+k3s1", "v2.0.0+k3s1")
