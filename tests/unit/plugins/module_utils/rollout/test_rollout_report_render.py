"""Report rendering from journal + live versions."""
from datetime import datetime, timezone

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import apply_event, new_journal
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.report import (
    build_report, failure_summary, markdown, table)

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
PLAN = {"canary": "eu", "batches": [{"label": "canary", "sites": ["eu"]}, {"label": "wave 2", "sites": ["us"]}]}


def journal_with(eu_status, us_status, diagnosis=None):
    j = new_journal("r1", "f" * 64, PLAN, "t")
    j = apply_event(j, "eu", {"status": eu_status, "before": {"m": {"version": "1", "exists": True}},
                              "after": {"m": {"version": "2", "exists": True}}, "diagnosis": diagnosis,
                              "gates": [{"name": "available", "ok": eu_status == "verified"}]}, T0)
    return apply_event(j, "us", {"status": us_status, "before": {"m": {"exists": False}}}, T0)


def test_complete_report_and_table():
    live = {"eu": {"m": {"version": "2"}}, "us": {"m": {"version": "2"}}}
    report = build_report(journal_with("verified", "verified"), live, [], [])
    assert report["status"] == "complete"
    lines = table(report)
    assert lines[0].split()[:3] == ["SITE", "BATCH", "STATUS"]
    assert "eu" in lines[1] and "canary" in lines[1] and "m=1" in lines[1] and "m=2" in lines[1]
    assert "m=absent" in lines[2]
    assert lines[-1] == "release r1: complete"


def test_failed_report_names_reason_and_where_each_site_is():
    live = {"eu": {"m": {"version": "1"}}}
    report = build_report(journal_with("rolled_back", "pending", "ImagePullBackOff: r/m:2-pullfail"), live,
                          ["us"], ["eu"])
    assert report["status"] == "failed"
    md = markdown(report)
    assert "## Failure diagnosis" in md and "ImagePullBackOff" in md and "| eu | canary | rolled_back |" in md
    summary = failure_summary(report)
    assert "eu: m=1 (journal: rolled_back) - ImagePullBackOff" in summary
    assert "us: unreachable (journal: pending)" in summary


def test_report_follows_the_plan_not_the_order_sites_were_recorded_or_read():
    live = {"eu": {"m": {"version": "2"}}, "us": {"m": {"version": "2"}}}
    j = journal_with("verified", "verified")
    recorded_us_first = dict(j, sites={"us": j["sites"]["us"], "eu": j["sites"]["eu"]})
    md = markdown(build_report(j, live, [], []))
    assert md == markdown(build_report(recorded_us_first, {"us": live["us"], "eu": live["eu"]}, [], []))
    assert md.index("| eu | canary |") < md.index("| us | wave 2 |")


COMMANDS = {"resume": "ap rollout.yml", "promote": "ap rollout.yml -e rollout_promote=true",
            "roll back": "ap rollback.yml"}


def test_rolled_back_sites_are_reported_apart_from_drift_and_pending_is_no_drift():
    live = {"eu": {"m": {"version": "1", "exists": True}}, "us": {"m": {"exists": False}}}
    report = build_report(journal_with("rolled_back", "pending"), live, [], ["eu", "us"],
                          desired=[{"name": "m", "version": "2"}], commands=COMMANDS)
    assert report["drift"] == [] and report["rolled_back"] == ["eu"]
    assert table(report)[-1] == "release r1: failed; rolled back: eu"
    assert report["commands"] == {"resume": "ap rollout.yml", "roll back": "ap rollback.yml"}
    summary = failure_summary(report)
    assert summary.splitlines()[-2:] == ["Resume: ap rollout.yml", "Roll back: ap rollback.yml"]
    md = markdown(report)
    assert md.splitlines()[2] == "- target: m 2"
    assert "- rolled back by the policy: eu" in md and "- drift: none" in md


def test_a_verified_site_off_the_release_is_drift():
    live = {"eu": {"m": {"version": "1"}}, "us": {"m": {"version": "2"}}}
    report = build_report(journal_with("verified", "verified"), live, [], ["eu"], commands=COMMANDS)
    assert report["drift"] == ["eu"] and report["rolled_back"] == []
    assert table(report)[-1] == "release r1: complete; drift at eu"


def test_complete_release_offers_no_command_and_paused_offers_promote():
    live = {"eu": {"m": {"version": "2"}}, "us": {"m": {"version": "2"}}}
    assert build_report(journal_with("verified", "verified"), live, [], [], commands=COMMANDS)["commands"] == {}
    paused = dict(journal_with("verified", "pending"), paused={"after": "canary"})
    report = build_report(paused, live, [], [], commands=COMMANDS)
    assert report["status"] == "paused"
    assert set(report["commands"]) == {"promote", "roll back"}
    assert "- paused after: canary" in markdown(report)


def test_half_done_rollout_shows_from_to_and_progress():
    live = {"eu": {"m": {"version": "2", "replicas": 4, "updated_replicas": 3, "ready_replicas": 4}},
            "us": {"m": {"version": "2", "replicas": 4, "updated_replicas": 4, "ready_replicas": 4}}}
    report = build_report(journal_with("deploying", "verified"), live, [], [])
    assert report["sites"][0]["running_now"] == "m=1 -> 2 (3/4)"
    assert report["sites"][1]["running_now"] == "m=2"


def test_matrix_marks_pinned_off_and_unexpected_versions_and_escapes_pipes():
    j = new_journal("r1", "f" * 64, PLAN, "t")
    j = apply_event(j, "eu", {"status": "verified", "after": {"a|b": {"version": "2", "exists": True},
                                                              "m": {"version": "1-int8", "exists": True}}}, T0)
    j = apply_event(j, "us", {"status": "verified", "after": {"m": {"version": "2", "exists": True}}}, T0)
    live = {"eu": {"a|b": {"version": "2"}, "m": {"version": "1-int8"}}, "us": {"m": {"version": "3"}}}
    report = build_report(j, live, [], [], desired=[{"name": "a|b", "version": "2"}, {"name": "m", "version": "2"}])
    md = markdown(report)
    assert "| site | a\\|b | m |" in md
    assert "| eu | 2 | 1-int8 (pinned) |" in md
    assert "| us | off | **3** |" in md


def test_timeline_is_a_mermaid_gantt_from_the_journal_timestamps():
    j = new_journal("r1", "f" * 64, PLAN, "t")
    j = apply_event(j, "eu", {"status": "verified", "phases": {
        "deploy": {"started": "2026-12-01T10:00:00.125000Z", "finished": "2026-12-01T10:00:01.500000Z"},
        "gate": {"started": "2026-12-01T10:00:01.500000Z", "finished": "2026-12-01T10:00:02.000000Z"}}}, T0)
    md = markdown(build_report(j, {"eu": {}}, [], []))
    chart = md[md.index("```mermaid"):]
    assert "gantt" in chart and "section eu" in chart
    assert "deploy :done, 2026-12-01T10:00:00.125, 2026-12-01T10:00:01.500" in chart
    assert j["sites"]["eu"]["phases"]["deploy"]["seconds"] == 1.375


def test_table_stays_under_120_columns_with_50_models():
    models = {"model-%02d" % i: {"version": "2.0.0"} for i in range(50)}
    j = new_journal("r1", "f" * 64, PLAN, "t")
    for site in ("eu", "us"):
        j = apply_event(j, site, {"status": "verified", "before": {m: {"exists": False} for m in models},
                                  "after": {m: dict(v, exists=True) for m, v in models.items()}}, T0)
    lines = table(build_report(j, {"eu": models, "us": models}, [], []))
    assert max(len(line) for line in lines) < 120
    assert "50 at 2.0.0" in lines[1] and "50 at absent" in lines[1]
