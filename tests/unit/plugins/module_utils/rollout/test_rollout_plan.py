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


def test_upgrade_order_follows_the_rollout_site_order_and_never_mixes_sites_in_a_batch():
    from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import upgrade_order
    hosts = [{"name": "us-s1", "site": "us", "wave": 2}, {"name": "us-a1", "site": "us", "wave": 2},
             {"name": "eu-s1", "site": "eu", "wave": 1}, {"name": "eu-a1", "site": "eu", "wave": 1},
             {"name": "eu-a2", "site": "eu", "wave": 1}, {"name": "eu-a3", "site": "eu", "wave": 1},
             {"name": "ap-a1", "site": "ap", "wave": 2}]
    groups = {"k3s_server": ["us-s1", "eu-s1"], "k3s_agent": ["us-a1", "eu-a1", "eu-a2", "eu-a3", "ap-a1"],
              "gpu": ["eu-a2", "us-a1"]}
    plan = upgrade_order(hosts, groups, 2)
    assert plan["servers"] == ["eu-s1", "us-s1"]
    assert plan["agents"] == ["eu-a1", "eu-a2", "eu-a3", "ap-a1", "us-a1"]
    assert plan["agent_serial"] == [2, 1, 1, 1]
    assert plan["gpu"] == ["eu-a2", "us-a1"]
    assert upgrade_order([], groups, 3) == {"servers": [], "agents": [], "agent_serial": [1], "gpu": []}


def test_the_whole_plan_when_the_canary_is_alone_in_its_wave(sites):
    assert plan_batches({"canary": "us"}, sites) == {
        "canary": "us", "waves": [["eu"], ["us"], ["apac"]],
        "batches": [{"label": "canary", "sites": ["us"]}, {"label": "wave 1", "sites": ["eu"]},
                    {"label": "wave 3", "sites": ["apac"]}],
        "hosts": ["api-us", "api-eu", "api-apac"], "serial": [1, 1, 1]}


def test_release_waves_replace_sites_per_wave_and_the_inventory(sites):
    plan = plan_batches({"waves": [("apac",), ["us", "eu"]], "sites_per_wave": 1}, sites)
    assert plan["waves"] == [["apac"], ["us", "eu"]] and plan["canary"] == "apac"
    assert [b["label"] for b in plan["batches"]] == ["canary", "wave 2"]
    assert plan["hosts"] == ["api-apac", "api-us", "api-eu"] and plan["serial"] == [1, 2]


def test_sites_per_wave_follows_the_inventory_order(sites):
    sites["us"]["wave"] = None  # no wave number sorts before wave 1
    plan = plan_batches({"sites_per_wave": 1}, sites)
    assert plan["waves"] == [["us"], ["eu"], ["apac"]]
    sites["us"]["wave"] = 2
    sites["eu"]["wave"] = 5
    assert plan_batches({"sites_per_wave": 2}, sites)["waves"] == [["us", "apac"], ["eu"]]


def test_coverage_names_a_site_without_api_host_and_one_with_two():
    from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import coverage_problems
    sites = [{"name": "eu", "host": "eu-api"}, {"name": "us", "host": "us-api-b"}, {"name": "us", "host": "us-api-a"},
             {"name": "lab", "host": "lab-api"}]
    fleet = {"eu": ["eu-api", "eu-gpu1"], "us": ["us-api-a", "us-api-b"], "apac": ["apac-gpu2", "apac-gpu1"],
             "mars": []}
    assert coverage_problems(sites, fleet) == [
        "site apac: no host in the kube_api group (its hosts: apac-gpu1, apac-gpu2); exactly one host per site "
        "stands for its Kubernetes API, without it the site is left out of every rollout",
        "site mars: no host in the kube_api group (its hosts: none); exactly one host per site "
        "stands for its Kubernetes API, without it the site is left out of every rollout",
        "site us: 2 hosts in the kube_api group (us-api-a, us-api-b); exactly one host per site stands for "
        "its Kubernetes API"]
    assert coverage_problems(sites[:2], {"eu": ["eu-api"], "us": ["us-api-b"]}) == []
