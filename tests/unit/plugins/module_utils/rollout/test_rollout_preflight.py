"""Preflight of one site against a Mock client: snapshot, problems, decision."""
from unittest.mock import Mock

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import snapshot
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.preflight import check_site

MODEL = {"name": "chat", "namespace": "models", "image": "r/chat:2", "version": "2", "replicas": 2, "gpus": 2,
         "gpu_product": "H100"}


def deployment(version="1", image="r/chat:1", ready=2, manager="gpufleet.datacenter"):
    return {
        "metadata": {"namespace": "models",
                     "labels": {"app.kubernetes.io/version": version, "app.kubernetes.io/managed-by": manager}},
        "spec": {"replicas": 2, "template": {"spec": {
            "nodeSelector": {"nvidia.com/gpu.product": "H100"},
            "containers": [{"name": "model-server", "image": image, "args": ["--x"],
                            "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 8080}],
                            "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}}},
        "status": {"readyReplicas": ready, "updatedReplicas": ready},
    }


def node(name, gpus=8, product="H100"):
    return {"metadata": {"name": name, "labels": {"nvidia.com/gpu.product": product}},
            "status": {"allocatable": {"nvidia.com/gpu": str(gpus)}}}


def pod(node_name, gpus, labels=None):
    return {"metadata": {"namespace": "models", "labels": labels or {}},
            "spec": {"nodeName": node_name, "containers": [{"resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]},
            "status": {"phase": "Running"}}


def client(nodes, pods, live=None, namespace=True):
    c = Mock()

    def listing(kind, namespace=None, **_kw):
        if kind == "Deployment":
            return [dict(live, metadata=dict(live["metadata"], name="chat"))] if live else []
        return {"Node": nodes}[kind]

    c.list.side_effect = listing
    c.pods = pods
    c.get.side_effect = lambda kind, name, namespace_=None: (
        {"metadata": {"name": name}} if kind == "Namespace" and namespace else live if kind == "Deployment" else None)
    return c


def check_site_with(c, *args):
    return check_site(c, *args, list_pods=lambda cl: cl.pods)


def test_snapshot_has_what_a_rollback_needs():
    snap = snapshot(deployment())
    assert snap == {"exists": True, "version": "1", "image": "r/chat:1", "replicas": 2, "ready_replicas": 2,
                    "updated_replicas": 2, "gpus": 2, "gpu_product": "H100", "port": 8080, "args": ["--x"],
                    "env": {"A": {"sha256": "6b86b273ff34fce1"}}, "runtime_class": "none"}
    assert "1" not in repr(snap["env"]) .replace("6b86b273ff34fce1", "")
    assert snapshot(None) == {"exists": False}


def test_ready_site_deploys_counting_gpus_the_old_pods_free():
    selector = {"app.kubernetes.io/name": "chat", "app.kubernetes.io/instance": "chat"}
    pods = [pod("n1", 2, selector), pod("n1", 2, selector), pod("n1", 2)]  # 6 of 8 used, 4 by chat
    result = check_site_with(client([node("n1")], pods, deployment()), "eu", [MODEL], 1, True, None)
    assert result["reachable"] and result["problems"] == []  # needs 6, free 2 + held 4
    assert result["decision"]["action"] == "deploy" and result["decision"]["before"]["chat"]["version"] == "1"
    assert result["at_release"] is False


def test_full_site_names_requested_and_free():
    result = check_site_with(client([node("n1", 4)], [pod("n1", 3)]), "us", [MODEL], 1, True, None)
    [problem] = result["problems"]
    assert "site us has not enough nvidia.com/gpu of product H100: requested 6" in problem and "free 1" in problem


def test_site_already_at_release_needs_no_capacity_and_is_skipped_when_verified():
    live = deployment(version="2", image="r/chat:2")
    entry = {"status": "verified", "before": {"chat": {"version": "1"}}}
    result = check_site_with(client([node("n1", 4)], [pod("n1", 4)], live), "eu", [MODEL], 1, True, entry)
    assert result["problems"] == [] and result["at_release"]
    assert result["decision"] == {"action": "skip", "before": {"chat": {"version": "1"}},
                                  "reason": "done and verified by an earlier run; still at the release"}


def test_missing_namespace_without_create_and_missing_product():
    model = dict(MODEL, gpu_product="B200")
    result = check_site_with(client([node("n1")], [], namespace=False), "apac", [model], 1, False, None)
    assert "site apac has no namespace models and policy.create_namespace is false" in result["problems"]
    assert any("no schedulable node with GPU product B200" in p for p in result["problems"])


def test_unreachable_api_is_a_problem_not_an_exception():
    c = Mock()
    c.list.side_effect = ApiError("list", "Nodes", "us", "API server unreachable: Connection refused")
    result = check_site(c, "us", [MODEL], 1, True, None)
    assert not result["reachable"] and result["decision"] is None
    assert result["problems"] == ["Failed to list Nodes at site us: API server unreachable: Connection refused"]


def test_a_deployment_of_the_same_name_that_we_did_not_create_is_a_problem_unless_adopted():
    selector = {"app.kubernetes.io/name": "chat", "app.kubernetes.io/instance": "chat"}
    pods = [pod("n1", 2, selector), pod("n1", 2, selector)]
    foreign = deployment(manager="Helm")
    result = check_site_with(client([node("n1")], pods, foreign), "eu", [MODEL], 1, True, None)
    assert result["problems"] == ["site eu: Deployment models/chat exists and is not managed by gpufleet.datacenter "
                                  "(it is managed by Helm); set policy.adopt: true to take it over"]
    adopted = check_site(client([node("n1")], pods, foreign), "eu", [MODEL], 1, True, None,
                         list_pods=lambda cl: cl.pods, adopt=True)
    assert adopted["problems"] == []
