"""rollout_report's metrics_dir: the report also lands as a textfile-collector file, never in check mode."""
import json
import os

from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store, run_lock
from ansible_collections.gpufleet.datacenter.plugins.modules import rollout_report

JOURNAL = {
    "schema": 1, "release": "r1", "fingerprint": "abc", "created": "t",
    "plan": {"canary": "eu", "batches": [{"label": "canary", "sites": ["eu"]}, {"label": "wave 2", "sites": ["us"]}]},
    "sites": {
        "eu": {"status": "verified", "before": {"m": {"exists": True, "version": "1"}},
               "after": {"m": {"exists": True, "version": "2"}}, "phases": {"deploy": {"seconds": 3.2}},
               "gates": [], "diagnosis": None},
        "us": {"status": "pending", "before": {"m": {"exists": True, "version": "1"}}, "after": None,
               "phases": {}, "gates": [], "diagnosis": None},
    },
}
FINAL = [
    {"site": "eu", "reachable": True, "at_release": True, "current": {"m": {"exists": True, "version": "2"}}},
    {"site": "us", "reachable": True, "at_release": False, "current": {"m": {"exists": True, "version": "1"}}},
]


def params(tmp_path, **extra):
    journal = str(tmp_path / "j.json")
    journal_store.atomic_write(journal, json.dumps(JOURNAL))
    base = {"journal": journal, "dest": str(tmp_path / "reports"), "sites": FINAL,
            "desired": [{"name": "m", "version": "2"}], "commands": None, "metrics_dir": None}
    base.update(extra)
    return base


def test_metrics_dir_writes_the_report_as_metrics(tmp_path):
    result, error = rollout_report.execute(params(tmp_path, metrics_dir=str(tmp_path / "textfile")))
    assert error is None and result["status"] == "in_progress"
    assert result["metrics_file"] == str(tmp_path / "textfile" / "gpufleet_rollout_r1.prom")
    with open(result["metrics_file"], encoding="utf-8") as handle:
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(handle.read()) for s in f.samples}
    assert samples[("gpufleet_rollout_in_progress", (("model", "m"), ("release", "r1")))] == 1.0
    assert samples[("gpufleet_rollout_running_version_info",
                    (("model", "m"), ("release", "r1"), ("site", "us"), ("version", "1")))] == 1.0
    assert samples[("gpufleet_rollout_phase_duration_seconds",
                    (("phase", "deploy"), ("release", "r1"), ("site", "eu")))] == 3.2


def test_no_metrics_without_metrics_dir_or_in_check_mode(tmp_path):
    result, error = rollout_report.execute(params(tmp_path))
    assert error is None and result["metrics_file"] is None
    result, error = rollout_report.execute(params(tmp_path, metrics_dir=str(tmp_path / "textfile")), check_mode=True)
    assert error is None and result["metrics_file"] is None
    assert not (tmp_path / "textfile").exists()


def test_an_unwritable_metrics_dir_fails_the_step_naming_the_release(tmp_path):
    (tmp_path / "blocker").write_text("")
    result, error = rollout_report.execute(params(tmp_path, metrics_dir=str(tmp_path / "blocker" / "textfile")))
    assert result == {} and error.startswith("Failed to write rollout metrics") and "for release r1" in error


def samples_of(path):
    with open(path, encoding="utf-8") as handle:
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in text_string_to_metric_families(handle.read()) for s in f.samples}


def test_report_files_false_writes_only_the_metrics_and_keeps_the_run_lock(tmp_path):
    # status.yml and verify.yml: the metrics file, no report, and a rollout's run lock left to it.
    base = params(tmp_path, metrics_dir=str(tmp_path / "textfile"), report_files=False)
    assert run_lock.acquire(base["journal"], "r1", os.getppid(), "t") is None
    result, error = rollout_report.execute(base)
    assert error is None and result["changed"] is False and result["files"] == []
    assert not (tmp_path / "reports").exists()
    assert os.path.exists(run_lock.lock_path(base["journal"]))
    samples = samples_of(result["metrics_file"])
    assert samples[("gpufleet_rollout_desired_version_info",
                    (("model", "m"), ("release", "r1"), ("site", "us"), ("version", "2")))] == 1.0
    assert samples[("gpufleet_rollout_running_version_info",
                    (("model", "m"), ("release", "r1"), ("site", "us"), ("version", "1")))] == 1.0
    assert samples[("gpufleet_rollout_site_status", (("release", "r1"), ("site", "eu"), ("status", "verified")))] == 1.0
    # The same report the rollout writes: with report files the lock goes back, as at a rollout's end.
    result, error = rollout_report.execute(params(tmp_path, metrics_dir=str(tmp_path / "textfile2")))
    assert error is None and result["files"] and not os.path.exists(run_lock.lock_path(base["journal"]))
    assert samples_of(result["metrics_file"]).keys() == samples.keys()


def test_report_files_false_in_check_mode_writes_nothing(tmp_path):
    result, error = rollout_report.execute(params(tmp_path, metrics_dir=str(tmp_path / "textfile"), report_files=False),
                                           check_mode=True)
    assert error is None and result["metrics_file"] is None and result["status"] == "in_progress"
    assert not (tmp_path / "textfile").exists() and not (tmp_path / "reports").exists()


def test_rolling_marks_a_release_not_started_yet_in_progress_and_writes_no_report(tmp_path):
    # rollout.yml before its first change: every site pending, the metrics already say in progress.
    base = params(tmp_path, metrics_dir=str(tmp_path / "textfile"), rolling=True)
    journal = dict(JOURNAL, sites={name: dict(entry, status="pending", after=None)
                                   for name, entry in JOURNAL["sites"].items()})
    journal_store.atomic_write(base["journal"], json.dumps(journal))
    assert run_lock.acquire(base["journal"], "r1", os.getppid(), "t") is None
    result, error = rollout_report.execute(base)
    assert error is None and result["status"] == "not_started" and result["files"] == []
    assert not (tmp_path / "reports").exists() and os.path.exists(run_lock.lock_path(base["journal"]))
    samples = samples_of(result["metrics_file"])
    assert samples[("gpufleet_rollout_in_progress", (("model", "m"), ("release", "r1")))] == 1.0
    assert samples[("gpufleet_rollout_release_info", (("release", "r1"), ("status", "in_progress")))] == 1.0
    # Without rolling, the same journal is a release not started: nothing in progress.
    plain = params(tmp_path, metrics_dir=str(tmp_path / "textfile2"), report_files=False)
    journal_store.atomic_write(plain["journal"], json.dumps(journal))
    result, error = rollout_report.execute(plain)
    assert error is None and result["status"] == "not_started"
    assert samples_of(result["metrics_file"])[("gpufleet_rollout_in_progress", (("model", "m"), ("release", "r1")))] == 0
