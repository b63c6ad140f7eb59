"""What each rollout step takes from the release's plan: the site's models and policy for its
preflight, the report's journal and target, and each site's latest read."""
import os

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import (
    last_read, plan_sites, preflight_args, report_args, sites_read)
from ansible_collections.gpufleet.datacenter.plugins.modules import release_check

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "releases")
SITES = [
    {"name": "eu", "host": "api-eu", "wave": 1, "gpu_product": "H100"},
    {"name": "us", "host": "api-us", "wave": 2, "gpu_product": "H100"},
    {"name": "apac", "host": "api-apac", "wave": 2, "gpu_product": "NVIDIA-L40S"},
]


@pytest.fixture(name="check")
def fixture_check(tmp_path):
    result, error = release_check.execute({"path": os.path.join(FIXTURES, "valid.yml"), "sites": SITES,
                                           "journal_dir": str(tmp_path / "journal"), "reports_dir": str(tmp_path),
                                           "fleet_sites": None})
    assert error is None, error
    return result


def read(site, reachable=True):
    return {"site": site, "reachable": reachable, "current": {}, "at_release": reachable}


def test_plan_sites_pairs_each_host_with_its_site_in_rollout_order(check):
    assert plan_sites(check["plan"]) == [("api-eu", "eu"), ("api-apac", "apac"), ("api-us", "us")]


def test_preflight_args_are_the_sites_own_models_and_the_release_policy(check):
    args = preflight_args(check, "apac")
    assert args["models"] == check["site_models"]["apac"] and args["models"] != check["site_models"]["eu"]
    policy = check["release"]["policy"]
    assert (args["max_surge"], args["create_namespace"], args["adopt"]) == (
        policy["max_surge"], policy["create_namespace"], policy["adopt"])
    assert (args["journal"], args["release"]) == (check["journal"], "chat-2026-11")


def test_a_site_outside_the_plan_is_refused_naming_the_site_the_release_and_the_planned_sites(check):
    with pytest.raises(RolloutError) as caught:
        preflight_args(check, "mars")
    assert str(caught.value) == ("Failed to preflight site mars for release chat-2026-11: it is not in the plan "
                                 "(sites: apac, eu, us)")


def test_report_args_are_the_journal_the_reports_directory_and_the_target(check):
    assert report_args(check) == {"journal": check["journal"], "dest": check["reports_dir"],
                                  "desired": check["desired"]}


def test_the_latest_read_wins_and_a_preflight_of_every_site_comes_last():
    step, whole_plan = read("eu"), read("eu")
    assert last_read({"__rollout_site": step}, whole_plan) is step
    assert last_read({"__rollout_site": {"skipped": True}}, whole_plan) is whole_plan
    assert last_read({"gpufleet_site": "eu"}) == {"site": "eu", "reachable": False, "current": {},
                                                  "at_release": False}


def test_sites_read_keeps_the_plan_order_and_falls_back_to_each_sites_preflight(check):
    step = read("apac")
    hostvars = {"api-eu": {"gpufleet_site": "eu"}, "api-apac": {"__rollout_site": step}}
    preflights = {"api-eu": read("eu"), "api-apac": read("apac", False)}
    reads = sites_read(check, hostvars, preflights)
    assert reads[0] is preflights["api-eu"]
    assert reads[1] is step
    # api-us is not in the inventory and was not preflighted: reported unreachable under its host name.
    assert reads[2] == {"site": "api-us", "reachable": False, "current": {}, "at_release": False}
