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


def test_report_is_a_pure_function_of_its_inputs():
    live = {"eu": {"m": {"version": "2"}}, "us": {"m": {"version": "2"}}}
    j = journal_with("verified", "verified")
    assert markdown(build_report(j, live, [], [])) == markdown(build_report(j, live, [], []))
