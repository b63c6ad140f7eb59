"""The rollout playbook's filters (which read of a site is the latest, where a run pauses), and which
sites a run deploys to."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.filter.rollout import last_read, pause_here
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.start import todo_plan

BATCHES = [{"label": "canary", "sites": ["eu"]}, {"label": "wave 2", "sites": ["us", "apac"]},
           {"label": "wave 3", "sites": ["sa"]}]


def test_last_read_prefers_the_rollback_then_the_step_then_the_preflight():
    preflight = {"site": "eu", "reachable": True, "current": {"m": {"version": "1"}}}
    step = {"site": "eu", "reachable": True, "current": {"m": {"version": "2"}}}
    rollback = {"site": "eu", "reachable": True, "current": {"m": {"version": "1"}}, "status": "rolled_back"}
    skipped = {"skipped": True, "changed": False}
    assert last_read({"__rollout_preflight": preflight}) is preflight
    assert last_read({"__rollout_preflight": preflight, "__rollout_site": step, "__rollout_rollback": skipped}) is step
    assert last_read({"__rollout_preflight": preflight, "__rollout_site": step, "__rollout_rollback": rollback}) is rollback
    assert last_read({"gpufleet_site": "eu"}) == {"site": "eu", "reachable": False, "current": {}, "at_release": False}


@pytest.mark.parametrize("mode, site, deployed, promote, expected", [
    ("none", "eu", True, False, False),
    ("canary", "eu", True, False, True),
    ("canary", "us", True, False, False),
    ("each_wave", "us", True, False, True),
    ("each_wave", "sa", True, False, False),  # never after the last batch
    ("canary", "eu", False, False, True),  # re-run without promote: still paused
    ("canary", "eu", False, True, False),  # promoted past the canary
    ("each_wave", "us", True, True, True),  # promote passes one gate, the next wave pauses again
    ("canary", "xx", True, False, False),
])
def test_pause_here(mode, site, deployed, promote, expected):
    assert pause_here({"pause_after": mode}, BATCHES, site, deployed, promote) is expected


PLAN = {"batches": BATCHES, "hosts": ["api-eu", "api-us", "api-apac", "api-sa"]}


def preflight(site, action):
    return {"site": site, "decision": {"action": action}}


def test_todo_plan_leaves_out_done_sites_and_empty_batches():
    all_deploy = [preflight(s, "deploy") for s in ("eu", "us", "apac", "sa")]
    assert todo_plan(PLAN, all_deploy) == {"hosts": ["api-eu", "api-us", "api-apac", "api-sa"], "serial": [1, 2, 1]}
    resumed = [preflight("eu", "skip"), preflight("us", "skip"), preflight("apac", "deploy"), preflight("sa", "deploy")]
    assert todo_plan(PLAN, resumed) == {"hosts": ["api-apac", "api-sa"], "serial": [1, 1]}
    assert todo_plan(PLAN, [preflight(s, "skip") for s in ("eu", "us", "apac", "sa")]) == {"hosts": [], "serial": []}
    assert todo_plan(PLAN, all_deploy, paused=True) == {"hosts": [], "serial": []}
    assert todo_plan(PLAN, resumed, paused=True, promote=True)["hosts"] == ["api-apac", "api-sa"]
