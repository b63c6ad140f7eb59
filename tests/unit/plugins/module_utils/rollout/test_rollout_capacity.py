"""GPU capacity arithmetic of the preflight."""
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.capacity import (
    capacity_problems, free_by_product, held_by, pod_gpus)


def node(name, product, gpus, unschedulable=False):
    return {"metadata": {"name": name, "labels": {"nvidia.com/gpu.product": product}},
            "spec": {"unschedulable": unschedulable}, "status": {"allocatable": {"nvidia.com/gpu": str(gpus)}}}


def pod(node_name, gpus, phase="Running", namespace="models", labels=None):
    return {"metadata": {"namespace": namespace, "labels": labels or {}},
            "spec": {"nodeName": node_name, "containers": [{"resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]},
            "status": {"phase": phase}}


NODES = [node("n1", "H100", 8), node("n2", "H100", 8), node("n3", "H100", 8, unschedulable=True)]


def test_free_counts_only_schedulable_nodes_and_live_pods():
    pods = [pod("n1", 3), pod("n2", 8, phase="Succeeded"), pod(None, 4)]
    assert free_by_product(NODES, pods) == {"H100": {"allocatable": 16, "free": 13}}


def test_pod_gpus_takes_init_containers_into_account():
    p = pod("n1", 1)
    p["spec"]["initContainers"] = [{"resources": {"requests": {"nvidia.com/gpu": "2"}}}]
    assert pod_gpus(p) == 2


def test_held_by_selects_the_model_pods():
    pods = [pod("n1", 2, labels={"app": "m"}), pod("n1", 2, labels={"app": "other"}),
            pod("n1", 2, namespace="x", labels={"app": "m"})]
    assert held_by(pods, "models", {"app": "m"}) == 2


def test_not_enough_gpus_names_site_requested_and_free():
    totals = {"H100": {"allocatable": 16, "free": 4}}
    needs = [{"model": "m", "product": "H100", "requested": 10, "held": 2, "detail": "(4+1 replicas x 2 GPUs)"}]
    [problem] = capacity_problems("lab-us", needs, totals)
    assert "site lab-us" in problem and "requested 10" in problem and "free 4" in problem
    assert "+ 2 held" in problem


def test_enough_when_the_replaced_model_frees_its_gpus():
    totals = {"H100": {"allocatable": 16, "free": 4}}
    needs = [{"model": "m", "product": "H100", "requested": 10, "held": 6, "detail": ""}]
    assert capacity_problems("eu", needs, totals) == []


def test_missing_gpu_product_is_named():
    [problem] = capacity_problems("apac", [{"model": "m", "product": "B200", "requested": 1, "held": 0,
                                            "detail": ""}], {"L40S": {"allocatable": 8, "free": 8}})
    assert "site apac has no schedulable node with GPU product B200" in problem and "L40S" in problem
