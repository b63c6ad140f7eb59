"""GPU capacity per product: free GPUs of another product never count, and only pods bound to a node
hold GPUs (an unscheduled Pending pod does not; a finished one no longer does)."""
from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.capacity import (
    capacity_problems, free_by_product, held_by)

H100, L40S = "NVIDIA-H100-80GB-HBM3", "NVIDIA-L40S"


def node(name, product, gpus, unschedulable=False):
    return {"metadata": {"name": name, "labels": {"nvidia.com/gpu.product": product}},
            "spec": {"unschedulable": unschedulable}, "status": {"allocatable": {"nvidia.com/gpu": str(gpus)}}}


def pod(gpus, node_name=None, phase="Running", namespace="models", labels=None):
    spec = {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {"metadata": {"namespace": namespace, "labels": labels or {"app.kubernetes.io/name": "chat"}},
            "spec": spec, "status": {"phase": phase}}


def need(product, requested, held=0):
    return {"model": "models/chat", "product": product, "requested": requested, "held": held, "detail": "2 x 1"}


def test_free_gpus_of_another_product_do_not_make_room():
    totals = free_by_product([node("h", H100, 8), node("l", L40S, 8)], [pod(8, "h")])
    assert totals == {H100: {"allocatable": 8, "free": 0}, L40S: {"allocatable": 8, "free": 8}}
    problems = capacity_problems("eu", [need(H100, 2)], totals)
    assert len(problems) == 1 and "of product %s" % H100 in problems[0] and "free 0" in problems[0]


def test_requests_of_two_models_on_one_product_add_up():
    totals = free_by_product([node("h", H100, 8), node("l", L40S, 8)], [])
    assert capacity_problems("eu", [need(H100, 5), need(H100, 3)], totals) == []
    assert len(capacity_problems("eu", [need(H100, 5), need(H100, 4)], totals)) == 1


def test_any_product_may_use_every_products_free_gpus():
    totals = free_by_product([node("h", H100, 4), node("l", L40S, 4)], [])
    assert capacity_problems("eu", [need(None, 8)], totals) == []
    assert len(capacity_problems("eu", [need(None, 9)], totals)) == 1


@pytest.mark.parametrize("pods, free", [
    ([pod(4)], 8),                               # Pending, not scheduled: holds nothing yet
    ([pod(4, phase="Pending")], 8),
    ([pod(4, "h", phase="Pending")], 4),         # bound to the node, pulling its image: holds them
    ([pod(4, "h", phase="Succeeded")], 8),       # finished: released them
    ([pod(4, "h", phase="Failed")], 8),
    ([pod(4, "elsewhere")], 8),                  # on a node without GPUs or not schedulable
    ([pod(4, "cordoned")], 8),
])
def test_only_pods_bound_to_a_schedulable_gpu_node_and_not_finished_hold_gpus(pods, free):
    totals = free_by_product([node("h", H100, 8), node("cordoned", H100, 8, unschedulable=True)], pods)
    assert totals[H100] == {"allocatable": 8, "free": free}


@pytest.mark.parametrize("pods, held", [
    ([pod(2, "h"), pod(2, "h")], 4),
    ([pod(2, "h"), pod(2)], 2),                  # the unscheduled replica holds nothing
    ([pod(2, "h"), pod(2, "h", phase="Pending")], 4),   # bound, starting: holds them
    ([pod(2, "h"), pod(2, "h", phase="Succeeded")], 2),
    ([pod(2, "h"), pod(2, "h", namespace="other")], 2),
    ([pod(2, "h"), pod(2, "h", labels={"app.kubernetes.io/name": "embed"})], 2),
])
def test_held_by_counts_only_the_models_bound_live_pods(pods, held):
    assert held_by(pods, "models", {"app.kubernetes.io/name": "chat"}) == held


def test_gpus_held_by_the_model_being_replaced_make_room_but_no_more():
    totals = free_by_product([node("h", H100, 8)], [pod(4, "h"), pod(2, "h")])
    assert capacity_problems("eu", [need(H100, 6, held=4)], totals) == []
    assert len(capacity_problems("eu", [need(H100, 7, held=4)], totals)) == 1
