from __future__ import annotations

from unittest.mock import Mock

import pytest

from k8s_fixtures import FIXTURES, load_fixture

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.diagnose import (
    collect,
    diagnose,
    label_selector,
    new_replicaset,
    revision,
)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError

SCENARIOS = sorted(p.name for p in (FIXTURES / "diagnose").glob("*.yaml"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_diagnose_scenarios(scenario):
    case = load_fixture("diagnose/" + scenario)
    result = diagnose(case["deployment"], case["replicasets"], case["pods"], case["events"], case.get("nodes"))
    assert result["reason"] == case["expect"]["reason"]
    for fragment in case["expect"]["message_contains"]:
        assert fragment in result["message"]
    assert result["progress_deadline_exceeded"] is case["expect"].get("progress_deadline_exceeded", False)


def test_scenarios_cover_every_failure_class_of_the_issue():
    reasons = {load_fixture("diagnose/" + s)["expect"]["reason"] for s in SCENARIOS}
    assert {"InsufficientGPU", "NoMatchingGPUProduct", "ImagePullBackOff", "CrashLoopBackOff",
            "ReadinessFailing", "ProgressDeadlineExceeded", "FailedCreate"} <= reasons


def test_only_new_replicaset_pods_are_blamed():
    case = load_fixture("diagnose/image_pull_backoff.yaml")
    result = diagnose(case["deployment"], case["replicasets"], case["pods"], case["events"])
    assert [p["name"] for p in result["pods"]] == ["llm-7c8-new1"]
    assert result["new_replicaset"] == "llm-7c8"
    # Warning events only, newest last.
    assert [e["reason"] for e in result["pods"][0]["events"]] == ["Failed"]


def test_scheduler_event_used_when_condition_has_no_message():
    case = load_fixture("diagnose/insufficient_gpu.yaml")
    del case["pods"][0]["status"]["conditions"][0]["message"]
    result = diagnose(case["deployment"], case["replicasets"], case["pods"], case["events"])
    assert "Insufficient nvidia.com/gpu" in result["message"]


def test_deadline_is_noted_next_to_a_more_specific_reason():
    case = load_fixture("diagnose/insufficient_gpu.yaml")
    case["deployment"]["status"]["conditions"].append(
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "x"})
    case["deployment"]["status"]["conditions"].pop(1)
    result = diagnose(case["deployment"], case["replicasets"], case["pods"], case["events"])
    assert result["reason"] == "InsufficientGPU"
    assert result["progress_deadline_exceeded"] is True
    assert "ProgressDeadlineExceeded" in result["message"]


def test_worst_reason_wins_across_pods():
    case = load_fixture("diagnose/image_pull_backoff.yaml")
    crash = load_fixture("diagnose/crashloop.yaml")["pods"][0]
    crash["metadata"]["ownerReferences"] = case["pods"][1]["metadata"]["ownerReferences"]
    case["pods"].append(crash)
    result = diagnose(case["deployment"], case["replicasets"], case["pods"], case["events"])
    assert result["reason"] == "ImagePullBackOff"
    assert len(result["pods"]) == 2


def test_progressing_when_nothing_is_wrong_yet():
    deployment = load_fixture("deployment_llm.yaml")
    deployment["status"]["availableReplicas"] = 1
    result = diagnose(deployment, [], [], [])
    assert result["reason"] == "Progressing"
    assert "2 of 2 replicas updated, 1 available" in result["message"]


def test_helpers():
    deployment = load_fixture("deployment_llm.yaml")
    assert revision(deployment) == 2
    assert revision({"metadata": {"annotations": {"deployment.kubernetes.io/revision": "x"}}}) is None
    assert label_selector(deployment) == "app.kubernetes.io/instance=llm,app.kubernetes.io/name=llm"
    assert new_replicaset(deployment, []) is None


def fake_client(case):
    client = Mock()
    client.site = "lab-a"

    def listing(kind, namespace=None, label_selector=None, field_selector=None):
        return {"ReplicaSet": case["replicasets"], "Pod": case["pods"], "Event": case["events"],
                "Node": case.get("nodes", [])}[kind]
    client.list.side_effect = listing
    return client


def test_collect_reads_nodes_only_for_a_missing_gpu_product():
    case = load_fixture("diagnose/no_gpu_product.yaml")
    client = fake_client(case)
    result = collect(client, case["deployment"])
    assert "GPU products on this site's nodes: NVIDIA-A100-SXM4-80GB" in result["message"]
    assert [c.args[0] for c in client.list.call_args_list] == ["ReplicaSet", "Pod", "Event", "Node"]
    client.list.assert_any_call("Pod", "serving", label_selector="app.kubernetes.io/name=llm")

    other = fake_client(load_fixture("diagnose/crashloop.yaml"))
    collect(other, case["deployment"])
    assert "Node" not in [c.args[0] for c in other.list.call_args_list]


def test_collect_survives_forbidden_events():
    case = load_fixture("diagnose/insufficient_gpu.yaml")
    client = fake_client(case)
    inner = client.list.side_effect

    def listing(kind, *args, **kwargs):
        if kind == "Event":
            raise ApiError("list", "Events", "lab-a", "forbidden", status=403)
        return inner(kind, *args, **kwargs)
    client.list.side_effect = listing
    assert collect(client, case["deployment"])["reason"] == "InsufficientGPU"
