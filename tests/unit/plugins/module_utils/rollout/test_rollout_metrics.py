"""Rollout metrics: the report of a real journal written as a textfile-collector file, read back
with prometheus_client's own parser (what the node exporter accepts)."""
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import metrics
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import STATUSES, apply_event, new_journal
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.report import build_report

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
PLAN = {"canary": "eu", "batches": [{"label": "canary", "sites": ["eu"]}, {"label": "wave 1", "sites": ["us", "ap"]}]}
TARGET = [{"name": "chat", "version": "2.1.0"}, {"name": "embed", "version": "1.4"}]
NOW = 1796040000.0


def journal(eu, us, ap="pending"):
    j = new_journal("chat-2026-11", "f" * 64, PLAN, "t")
    old = {"chat": {"version": "2.0.0", "exists": True}, "embed": {"version": "1.4", "exists": True}}
    new = {"chat": {"version": "2.1.0", "exists": True}, "embed": {"version": "1.4", "exists": True}}
    j = apply_event(j, "eu", {"status": "deploying", "before": old, "phase": "deploy", "phase_state": "started"}, T0)
    j = apply_event(j, "eu", {"status": eu, "after": new if eu != "rolled_back" else old, "phase": "deploy",
                              "phase_state": "finished"}, T0 + timedelta(seconds=8.5))
    # us pins chat to 2.0.5 (its `after` says so).
    pinned = {"chat": {"version": "2.0.5", "exists": True}, "embed": {"version": "1.4", "exists": True}}
    j = apply_event(j, "us", {"status": us, "before": old, "after": pinned if us == "verified" else None}, T0)
    return apply_event(j, "ap", {"status": ap, "before": old}, T0)


def parsed(path):
    with open(path, encoding="utf-8") as handle:
        families = {f.name: f for f in text_string_to_metric_families(handle.read())}
    return {name: {tuple(sorted(s.labels.items())): s.value for s in f.samples} for name, f in families.items()}


def key(**labels):
    return tuple(sorted(labels.items()))


def write(tmp_path, report):
    return metrics.write_metrics(str(tmp_path / "textfile"), report, clock=lambda: NOW)


def test_a_rollout_half_done_is_in_progress_with_desired_and_running_versions(tmp_path):
    live = {"eu": {"chat": {"version": "2.1.0"}, "embed": {"version": "1.4"}},
            "us": {"chat": {"version": "2.0.0"}, "embed": {"version": "1.4"}}}
    report = build_report(journal("verified", "pending"), live, ["ap"], [], desired=TARGET)
    assert report["status"] == "in_progress"
    path = write(tmp_path, report)
    assert os.path.basename(path) == "gpufleet_rollout_chat-2026-11.prom"
    m = parsed(path)
    release = "chat-2026-11"
    assert m["gpufleet_rollout_release_info"] == {key(release=release, status="in_progress"): 1.0}
    assert m["gpufleet_rollout_in_progress"] == {key(release=release, model="chat"): 1.0,
                                                 key(release=release, model="embed"): 1.0}
    desired = m["gpufleet_rollout_desired_version_info"]
    assert desired[key(release=release, site="eu", model="chat", version="2.1.0")] == 1.0
    assert desired[key(release=release, site="ap", model="chat", version="2.1.0")] == 1.0
    assert len(desired) == 6
    assert m["gpufleet_rollout_running_version_info"] == {
        key(release=release, site="eu", model="chat", version="2.1.0"): 1.0,
        key(release=release, site="eu", model="embed", version="1.4"): 1.0,
        key(release=release, site="us", model="chat", version="2.0.0"): 1.0,
        key(release=release, site="us", model="embed", version="1.4"): 1.0}
    assert m["gpufleet_rollout_site_unreachable"] == {key(release=release, site="eu"): 0.0,
                                                      key(release=release, site="us"): 0.0,
                                                      key(release=release, site="ap"): 1.0}
    status = m["gpufleet_rollout_site_status"]
    assert len(status) == 3 * len(STATUSES)
    assert {k for k, v in status.items() if v == 1.0} == {
        key(release=release, site="eu", status="verified"), key(release=release, site="us", status="pending"),
        key(release=release, site="ap", status="pending")}
    assert m["gpufleet_rollout_updated_timestamp_seconds"] == {key(release=release): NOW}


def test_phase_durations_come_from_the_journal(tmp_path):
    report = build_report(journal("verified", "pending"), {}, [], [], desired=TARGET)
    seconds = report["sites"][0]["phases_seconds"]
    assert seconds == {"deploy": pytest.approx(8.5)}
    m = parsed(write(tmp_path, report))
    assert m["gpufleet_rollout_phase_duration_seconds"] == {
        key(release="chat-2026-11", site="eu", phase=p): pytest.approx(v) for p, v in seconds.items()}


@pytest.mark.parametrize("eu,us,ap,status,flag", [
    ("verified", "verified", "verified", "complete", 0.0),
    ("rolled_back", "pending", "pending", "failed", 0.0),
    ("pending", "pending", "pending", "not_started", 0.0),
    ("verified", "deploying", "pending", "in_progress", 1.0),
])
def test_in_progress_follows_the_report_status(tmp_path, eu, us, ap, status, flag):
    report = build_report(journal(eu, us, ap), {}, [], [], desired=TARGET)
    assert report["status"] == status
    m = parsed(write(tmp_path, report))
    assert set(m["gpufleet_rollout_in_progress"].values()) == {flag}
    assert m["gpufleet_rollout_release_info"] == {key(release="chat-2026-11", status=status): 1.0}


def test_a_paused_release_is_still_in_progress(tmp_path):
    paused = dict(journal("verified", "pending"), paused={"after": "canary"})
    report = build_report(paused, {}, [], [], desired=TARGET)
    assert report["status"] == "paused"
    assert set(parsed(write(tmp_path, report))["gpufleet_rollout_in_progress"].values()) == {1.0}


def test_site_pins_and_rollbacks_set_the_desired_version():
    report = build_report(journal("rolled_back", "verified"), {}, [], [], desired=TARGET)
    by_site = {s["site"]: s for s in report["sites"]}
    target = {m["name"]: m["version"] for m in TARGET}
    # Rolled back: `after` is the old version, the release still wants its target.
    assert metrics.desired_versions(by_site["eu"], target) == {"chat": "2.1.0", "embed": "1.4"}
    # Verified with a pin: the pinned version.
    assert metrics.desired_versions(by_site["us"], target) == {"chat": "2.0.5", "embed": "1.4"}


def test_rewrite_replaces_the_file_readable_by_the_exporter(tmp_path):
    report = build_report(journal("verified", "pending"), {}, [], [], desired=TARGET)
    path = write(tmp_path, report)
    done = build_report(journal("verified", "verified", "verified"), {}, [], [], desired=TARGET)
    assert metrics.write_metrics(str(tmp_path / "textfile"), done, clock=lambda: NOW + 60) == path
    assert os.listdir(tmp_path / "textfile") == [os.path.basename(path)]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    m = parsed(path)
    assert m["gpufleet_rollout_release_info"] == {key(release="chat-2026-11", status="complete"): 1.0}
    assert m["gpufleet_rollout_updated_timestamp_seconds"] == {key(release="chat-2026-11"): NOW + 60}


@pytest.mark.parametrize("release,name", [
    ("chat-2026-11", "gpufleet_rollout_chat-2026-11.prom"),
    ("../../etc/x", "gpufleet_rollout__.._etc_x.prom"),
])
def test_the_file_name_stays_in_the_directory(release, name):
    assert metrics.metric_file("/var/lib/node_exporter", release) == "/var/lib/node_exporter/" + name


def test_an_unwritable_directory_names_the_release(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    report = build_report(journal("verified", "pending"), {}, [], [], desired=TARGET)
    with pytest.raises(metrics.RolloutError, match="Failed to write rollout metrics .* for release chat-2026-11"):
        metrics.write_metrics(str(blocker / "textfile"), report)
