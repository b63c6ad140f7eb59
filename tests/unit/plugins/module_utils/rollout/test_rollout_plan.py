"""Wave planning: canary first, then waves in order, as hosts + serial sizes."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import plan_batches


def test_inventory_waves_with_default_canary(sites):
    plan = plan_batches({}, sites)
    assert plan["canary"] == "eu"
    assert [b["sites"] for b in plan["batches"]] == [["eu"], ["us"], ["apac"]]
    assert [b["label"] for b in plan["batches"]] == ["canary", "wave 2", "wave 3"]
    assert plan["hosts"] == ["api-eu", "api-us", "api-apac"] and plan["serial"] == [1, 1, 1]


def test_release_waves_and_canary_from_a_later_wave(sites):
    plan = plan_batches({"waves": [["eu", "us"], ["apac"]], "canary": "apac"}, sites)
    assert [b["sites"] for b in plan["batches"]] == [["apac"], ["eu", "us"]]
    assert plan["serial"] == [1, 2] and plan["hosts"] == ["api-apac", "api-eu", "api-us"]


@pytest.mark.parametrize("size, expected", [(2, [["eu"], ["us"], ["apac"]]), (3, [["eu"], ["us", "apac"]])])
def test_sites_per_wave(sites, size, expected):
    plan = plan_batches({"sites_per_wave": size}, sites)
    assert [b["sites"] for b in plan["batches"]] == expected
    assert sum(plan["serial"]) == 3


def test_sites_sharing_an_inventory_wave_roll_together(sites):
    sites["apac"]["wave"] = 2
    plan = plan_batches({}, sites)
    assert [b["sites"] for b in plan["batches"]] == [["eu"], ["apac", "us"]]
    assert plan["serial"] == [1, 2]
