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


def test_pod_gpus_prefers_requests_and_reads_bad_quantities_as_none():
    p = pod("n1", 4)
    p["spec"]["containers"][0]["resources"]["requests"] = {"nvidia.com/gpu": "1"}
    p["spec"]["containers"].append({"resources": {"limits": {"nvidia.com/gpu": 2}}})
    p["spec"]["containers"].append({"resources": {"limits": {"nvidia.com/gpu": "lots"}}})
    p["spec"]["containers"].append({"name": "sidecar"})
    assert pod_gpus(p) == 3
    p["spec"]["initContainers"] = [{"resources": {"limits": {"nvidia.com/gpu": "2"}}},
                                   {"resources": {"limits": {"nvidia.com/gpu": "5"}}}]
    assert pod_gpus(p) == 5  # the largest init container, not their sum
    assert pod_gpus({}) == 0 and pod_gpus({"spec": {"containers": [{"resources": {"limits": None}}]}}) == 0


def test_free_by_product_groups_nodes_and_subtracts_only_pods_on_them():
    nodes = [node("h1", "H100", 8), node("l1", "L40S", 4), node("l2", "L40S", 0), node("x", "H100", 8, True),
             {"metadata": {"name": "bare"}, "status": {"allocatable": {"nvidia.com/gpu": "2"}}},
             {"metadata": {"name": "cpu"}, "status": {}}]
    pods = [pod("h1", 3), pod("l1", 1), pod("l1", 1, phase="Failed"), pod("l1", 1, phase="Pending"),
            pod("x", 8), pod("cpu", 1), pod("bare", 2), pod("gone", 1)]
    assert free_by_product(nodes, pods) == {"H100": {"allocatable": 8, "free": 5},
                                            "L40S": {"allocatable": 4, "free": 2},
                                            "unlabelled": {"allocatable": 2, "free": 0}}
    assert free_by_product([], pods) == {}


def test_capacity_problems_name_the_product_request_free_and_held():
    totals = {"H100": {"allocatable": 16, "free": 4}, "L40S": {"allocatable": 8, "free": 1}}
    needs = [{"model": "chat", "product": "H100", "requested": 6, "held": 1, "detail": "(2+1 replicas x 2 GPUs)"},
             {"model": "embed", "product": "H100", "requested": 1, "held": 0, "detail": "(1 replica x 1 GPU)"},
             {"model": "rank", "product": "L40S", "requested": 2, "held": 0, "detail": "(1+1 replicas x 1 GPU)"},
             {"model": "any", "product": None, "requested": 5, "held": 0, "detail": "(5 replicas x 1 GPU)"},
             {"model": "new", "product": "B200", "requested": 1, "held": 0, "detail": ""}]
    assert capacity_problems("us", needs, totals) == [
        "site us has no schedulable node with GPU product B200 (model new; the site has: H100, L40S)",
        "site us has not enough nvidia.com/gpu of product H100: requested 7 (chat (2+1 replicas x 2 GPUs); "
        "embed (1 replica x 1 GPU)), free 4 + 1 held by the models being replaced",
        "site us has not enough nvidia.com/gpu of product L40S: requested 2 (rank (1+1 replicas x 1 GPU)), free 1",
    ]
    # no product asked for: every product's free GPUs count
    assert capacity_problems("us", [dict(needs[3], requested=6)], totals) == [
        "site us has not enough nvidia.com/gpu: requested 6 (any (5 replicas x 1 GPU)), free 5"]
    assert capacity_problems("eu", [needs[4]], {}) == [
        "site eu has no schedulable node with GPU product B200 (model new; the site has: no GPU nodes)"]


def test_a_request_that_just_fits_is_approved():
    totals = {"H100": {"allocatable": 16, "free": 4}}
    exact = [{"model": "m", "product": "H100", "requested": 6, "held": 2, "detail": ""}]
    assert capacity_problems("eu", exact, totals) == []
    assert capacity_problems("eu", [dict(exact[0], requested=7)], totals) != []


def test_a_node_with_a_single_gpu_counts():
    assert free_by_product([node("n1", "L4", 1)], [pod("n1", 1, phase="Pending")]) == {
        "L4": {"allocatable": 1, "free": 0}}
