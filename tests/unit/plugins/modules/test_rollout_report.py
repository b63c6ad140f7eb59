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
