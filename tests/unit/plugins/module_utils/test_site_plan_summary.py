"""The site plan's summary (site_plan's return value) and the rolling upgrade's order, field by field:
gaps the mutation run found (docs/testing.md)."""
from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import upgrade_order
from ansible_collections.gpufleet.datacenter.plugins.module_utils.site_plan import summarize


def test_summary_describes_every_site_whole():
    sites = {"eu": {"gpufleet_region": "europe-west", "gpufleet_rollout_wave": 1},
             "us": {"gpufleet_region": "us-east", "gpufleet_rollout_wave": 2}}
    hosts = [
        {"name": "eu-s2", "site": "eu", "groups": ["k3s_server"]},
        {"name": "eu-s1", "site": "eu", "groups": ["k3s_server", "gpu"]},
        {"name": "eu-a1", "site": "eu", "groups": ["k3s_agent", "gpu"]},
        {"name": "api-eu", "site": "eu", "groups": ["kube_api"]},
        {"name": "us-x", "site": "us", "groups": None},
    ]
    assert summarize(sites, hosts) == {
        "eu": {"region": "europe-west", "wave": 1, "servers": ["eu-s1", "eu-s2"], "agents": ["eu-a1"],
               "gpu_hosts": ["eu-a1", "eu-s1"]},
        "us": {"region": "us-east", "wave": 2, "servers": [], "agents": [], "gpu_hosts": []},
    }


@pytest.mark.parametrize("batch, serial", [(1, [1, 1, 1]), (0, [1, 1, 1]), (3, [3]), (5, [3])])
def test_upgrade_batches_are_at_least_one_host(batch, serial):
    hosts = [{"name": "a%d" % i, "site": "eu", "wave": 1} for i in range(3)]
    assert upgrade_order(hosts, {"k3s_agent": ["a0", "a1", "a2"]}, batch)["agent_serial"] == serial


def test_upgrade_order_with_a_group_missing_from_the_inventory():
    hosts = [{"name": "s1", "site": "eu", "wave": 1}, {"name": "a1", "site": "eu", "wave": 1}]
    assert upgrade_order(hosts, {"k3s_server": ["s1"]}, 1) == {
        "servers": ["s1"], "agents": [], "agent_serial": [1], "gpu": []}
    assert upgrade_order(hosts, {"k3s_agent": ["a1"], "gpu": ["a1"]}, 1) == {
        "servers": [], "agents": ["a1"], "agent_serial": [1], "gpu": ["a1"]}
