"""rollout_report module: report files written once, unchanged on a re-run, table returned."""
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.modules import rollout_report

JOURNAL = {
    "schema": 1, "release": "r1", "fingerprint": "abc", "created": "t",
    "plan": {"canary": "eu", "batches": [{"label": "canary", "sites": ["eu"]}, {"label": "wave 2", "sites": ["us"]}]},
    "sites": {
        "eu": {"status": "verified", "before": {"m": {"exists": True, "version": "1"}},
               "after": {"m": {"exists": True, "version": "2"}}, "phases": {"deploy": {"seconds": 3.2}},
               "gates": [{"name": "available", "ok": True}], "diagnosis": None},
        "us": {"status": "verified", "before": {"m": {"exists": False}}, "after": {"m": {"exists": True, "version": "2"}},
               "phases": {}, "gates": [], "diagnosis": None},
    },
}
FINAL = [
    {"site": "eu", "reachable": True, "at_release": True, "current": {"m": {"exists": True, "version": "2"}}},
    {"site": "us", "reachable": True, "at_release": True, "current": {"m": {"exists": True, "version": "2"}}},
]


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_:
        rollout_report.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


def test_report_written_then_unchanged(capsys, tmp_path):
    journal = str(tmp_path / "j.json")
    journal_store.atomic_write(journal, json.dumps(JOURNAL))
    code, result = run(capsys, journal=journal, dest=str(tmp_path / "reports"), sites=FINAL)
    assert code == 0 and result["changed"] and result["status"] == "complete"
    assert os.path.isfile(tmp_path / "reports" / "r1" / "report.md")
    assert json.loads((tmp_path / "reports" / "r1" / "report.json").read_text())["sites"][0]["site"] == "eu"
    assert result["table"][-1] == "release r1: complete"
    code, result = run(capsys, journal=journal, dest=str(tmp_path / "reports"), sites=FINAL)
    assert code == 0 and not result["changed"]


def test_unreachable_and_drift_are_reported(capsys, tmp_path):
    journal = str(tmp_path / "j.json")
    journal_store.atomic_write(journal, json.dumps(JOURNAL))
    final = [dict(FINAL[0], at_release=False, current={"m": {"exists": True, "version": "1"}}),
             {"site": "us", "reachable": False}]
    code, result = run(capsys, journal=journal, dest=str(tmp_path / "reports"), sites=final, _ansible_check_mode=True)
    assert code == 0 and result["report"]["drift"] == ["eu"] and result["report"]["unreachable"] == ["us"]
    assert "us: unreachable (journal: verified)" in result["summary"]
    assert not os.path.exists(tmp_path / "reports"), "check mode writes nothing"


def test_missing_journal_is_named(capsys, tmp_path):
    code, result = run(capsys, journal=str(tmp_path / "none.json"), dest=str(tmp_path), sites=[])
    assert code == 1 and "none.json does not exist" in result["msg"]


def test_fail_unless_complete_fails_with_the_summary_on_drift_but_not_in_check_mode(capsys, tmp_path):
    journal = str(tmp_path / "j.json")
    journal_store.atomic_write(journal, json.dumps(JOURNAL))
    drifted = [dict(FINAL[0], at_release=False, current={"m": {"exists": True, "version": "1"}}), FINAL[1]]
    code, result = run(capsys, journal=journal, dest=str(tmp_path / "reports"), sites=drifted,
                       fail_unless_complete=True)
    assert code == 1 and result["status"] == "complete"
    assert result["msg"].splitlines()[0].startswith("Rollout of release r1")
    assert "eu: m=1 (journal: verified)" in result["msg"]
    # The files are written even so; the failed result stays short (a failure prints it whole).
    assert os.path.isfile(tmp_path / "reports" / "r1" / "report.json") and "report" not in result
    code, result = run(capsys, journal=journal, dest=str(tmp_path / "reports"), sites=drifted,
                       fail_unless_complete=True, _ansible_check_mode=True)
    assert code == 0 and result["report"]["drift"] == ["eu"]
    code, result = run(capsys, journal=journal, dest=str(tmp_path / "reports"), sites=FINAL, fail_unless_complete=True)
    assert code == 0


def test_a_paused_release_is_not_a_failure_and_shows_how_to_continue(tmp_path):
    paused = dict(JOURNAL, paused={"after": "canary", "at": "t"},
                  sites={"eu": JOURNAL["sites"]["eu"], "us": dict(JOURNAL["sites"]["us"], status="pending")})
    journal = str(tmp_path / "j.json")
    journal_store.atomic_write(journal, json.dumps(paused))
    sites = [FINAL[0], dict(FINAL[1], at_release=False, current={"m": {"exists": False}})]
    result, error = rollout_report.execute(dict(
        {name: spec.get("default") for name, spec in rollout_report.ARGUMENT_SPEC.items()},
        journal=journal, dest=str(tmp_path / "reports"), sites=sites, fail_unless_complete=True,
        commands={"promote": "ansible-playbook ... -e rollout_promote=true"}))
    assert error is None and result["status"] == "paused"
    lines = rollout_report.shown(result)
    assert lines[:len(result["table"])] == result["table"]
    assert lines[len(result["table"])] == "report: " + ", ".join(result["files"])
    assert any("-e rollout_promote=true" in line for line in lines)
