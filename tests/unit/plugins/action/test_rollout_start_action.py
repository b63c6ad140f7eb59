"""rollout_start: every site's problems stop the run before anything is written; otherwise the plan
is shown, the journal opened and only the sites still to do are deployed to, batch by batch."""
import json
import os

from ansible_collections.gpufleet.datacenter.plugins.action.rollout_start import module_params, start
from ansible_collections.gpufleet.datacenter.plugins.modules import release_check, rollout_journal

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "releases")
SITES = [
    {"name": "eu", "host": "api-eu", "wave": 1, "gpu_product": "H100"},
    {"name": "us", "host": "api-us", "wave": 2, "gpu_product": "H100"},
    {"name": "apac", "host": "api-apac", "wave": 2, "gpu_product": "NVIDIA-L40S"},
]


def checked(tmp_path):
    params = {"path": os.path.join(FIXTURES, "valid.yml"), "sites": SITES, "journal_dir": str(tmp_path / "journal"),
              "reports_dir": str(tmp_path), "fleet_sites": None}
    result, error = release_check.execute(params)
    assert error is None, error
    return result


def preflight(site, action="deploy", problems=(), free=16):
    return {"site": site, "reachable": True, "problems": list(problems), "current": {},
            "capacity": {"H100": {"free": free}, "NVIDIA-L40S": {"free": free}},
            "decision": {"action": action, "before": {}}}


def order(check):
    """The plan's sites in rollout order (a wave's sites sorted by name)."""
    assert check["plan"]["hosts"] == ["api-eu", "api-apac", "api-us"]
    return ["eu", "apac", "us"]


def params(check, promote=False):
    return {"release_check": check, "preflight": None, "preflight_register": "__rollout_preflight",
            "promote": promote}


def test_every_problem_of_every_site_stops_the_run_and_nothing_is_written(tmp_path):
    check = checked(tmp_path)
    # api-apac's preflight never ran (its task failed): a problem naming the site and host.
    order(check)
    result = start(params(check), [preflight("eu", problems=["site eu: API server unreachable"]), None,
                                   preflight("us", problems=["site us has no namespace models"])], False)
    assert result["failed"]
    assert result["problems"] == ["site eu: API server unreachable",
                                  "site apac was not preflighted (host api-apac failed or unreachable)",
                                  "site us has no namespace models"]
    assert result["msg"].splitlines()[0] == (
        "Failed to start the rollout of release chat-2026-11: 3 preflight problem(s); no site was changed.")
    assert "  - site us has no namespace models" in result["msg"].splitlines()
    assert not os.path.exists(tmp_path / "journal")
    assert "todo" not in result and "journal" not in result


def test_the_plan_is_shown_the_journal_created_and_every_batch_deployed(tmp_path):
    check = checked(tmp_path)
    result = start(params(check), [preflight(s) for s in order(check)], False)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["todo"] == {"hosts": ["api-eu", "api-apac", "api-us"], "serial": [1, 2]}
    header, *rows = result["plan_table"]
    assert header.split()[:3] == ["SITE", "BATCH", "MODEL"]
    # Two models on each of three sites; apac's replicas come from its override.
    assert len(rows) == 6
    apac = rows[2].split()
    assert apac[:6] == ["apac", "wave", "2", "chat-llm", "absent", "->"] and apac[8] == "1"
    journal = json.loads(open(check["journal"]).read())
    assert journal["release"] == "chat-2026-11" and journal["fingerprint"] == check["fingerprint"]
    # The run lock is taken with the journal, for the ansible-playbook process (this test's parent).
    assert any(name.endswith(".lock") for name in os.listdir(os.path.dirname(check["journal"])))


def test_sites_done_are_left_out_and_a_second_start_changes_nothing(tmp_path):
    check = checked(tmp_path)
    start(params(check), [preflight(s) for s in order(check)], False)
    result = start(params(check), [preflight("eu", "skip"), preflight("apac"), preflight("us", "skip")], False)
    assert result["changed"] is False
    assert result["todo"] == {"hosts": ["api-apac"], "serial": [1]}
    done = start(params(check), [preflight(s, "skip") for s in order(check)], False)
    assert done["todo"] == {"hosts": [], "serial": []}
    assert all(row.split()[-3] == "done" for row in done["plan_table"][1:] if row.split()[0] in ("eu", "us", "apac"))


def test_check_mode_shows_the_plan_and_writes_nothing(tmp_path):
    check = checked(tmp_path)
    result = start(params(check), [preflight(s) for s in order(check)], True)
    assert result["todo"]["hosts"] == ["api-eu", "api-apac", "api-us"]
    assert len(result["plan_table"]) == 7
    assert not os.path.exists(tmp_path / "journal")


def test_a_paused_release_deploys_nowhere_until_promoted(tmp_path):
    check = checked(tmp_path)
    start(params(check), [preflight(s) for s in order(check)], False)
    rollout_journal.execute(module_params(rollout_journal, path=check["journal"], paused_after="canary"))
    todo = [preflight("eu", "skip"), preflight("apac"), preflight("us")]
    assert start(params(check), todo, False)["todo"] == {"hosts": [], "serial": []}
    promoted = start(params(check, promote=True), todo, False)
    assert promoted["todo"] == {"hosts": ["api-apac", "api-us"], "serial": [2]}
    assert "paused" not in json.loads(open(check["journal"]).read())


def test_the_release_is_marked_in_progress_before_the_first_change_only_when_sites_are_to_do(tmp_path):
    """metrics_dir: the drift alert's gpufleet_rollout_in_progress is 1 before any site moves; a run
    with nothing to do, or in check mode, writes no metrics."""
    check = checked(tmp_path)
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    with_metrics = dict(params(check), metrics_dir=str(metrics))
    assert "metrics_file" not in start(with_metrics, [preflight(s) for s in order(check)], True)
    assert os.listdir(metrics) == []
    result = start(with_metrics, [preflight(s) for s in order(check)], False)
    text = open(result["metrics_file"]).read()
    assert result["metrics_file"] == str(metrics / "gpufleet_rollout_chat-2026-11.prom")
    assert 'gpufleet_rollout_in_progress{model="chat-llm",release="chat-2026-11"} 1.0' in text
    os.remove(result["metrics_file"])
    done = start(with_metrics, [preflight(s, "skip") for s in order(check)], False)
    assert done["todo"]["hosts"] == [] and "metrics_file" not in done and os.listdir(metrics) == []


def test_every_sites_preflight_by_host_counts_as_the_same_list_in_plan_order(tmp_path):
    """One rollout_preflight of the whole plan returns the sites by host; a host missing from it
    was not preflighted."""
    check = checked(tmp_path)
    by_host = {"api-us": preflight("us", "skip"), "api-eu": preflight("eu"), "api-apac": preflight("apac")}
    result = start(params(check), by_host, False)
    assert result["todo"] == {"hosts": ["api-eu", "api-apac"], "serial": [1, 1]}
    missing = start(params(check), {"api-eu": preflight("eu")}, False)
    assert missing["problems"] == ["site apac was not preflighted (host api-apac failed or unreachable)",
                                   "site us was not preflighted (host api-us failed or unreachable)"]
