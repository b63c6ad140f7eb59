"""rollout_journal module: create once, events per site, changed only when the journal changes."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import parse_iso
from ansible_collections.gpufleet.datacenter.plugins.modules import rollout_journal


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_:
        rollout_journal.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "r1-abc.json")


def create(capsys, path, **kw):
    return run(capsys, path=path, release="r1", fingerprint="abc", plan={"batches": []}, **kw)


def test_create_is_idempotent(capsys, path):
    code, result = create(capsys, path)
    assert code == 0 and result["changed"] and result["journal"]["release"] == "r1"
    code, result = create(capsys, path)
    assert code == 0 and not result["changed"]


def test_other_content_of_the_release_is_refused(capsys, path):
    create(capsys, path)
    code, result = run(capsys, path=path, release="r1", fingerprint="def")
    assert code == 1 and "belongs to another content of release r1" in result["msg"]


def test_site_events_and_after_from_model_list(capsys, path):
    create(capsys, path)
    code, result = run(capsys, path=path, site="eu", status="deploying", before={"m": {"exists": False}},
                       phase="deploy", phase_state="started")
    assert code == 0 and result["changed"] and result["entry"]["status"] == "deploying"
    code, result = run(capsys, path=path, site="eu", status="deployed", phase="deploy", phase_state="finished",
                       after=[{"name": "m", "version": "2", "image": "r/m:2", "health": None}])
    assert result["entry"]["after"] == {"m": {"version": "2", "image": "r/m:2", "exists": True}}
    assert result["entry"]["before"] == {"m": {"exists": False}}
    deploy = result["entry"]["phases"]["deploy"]
    assert deploy["seconds"] == round((parse_iso(deploy["finished"]) - parse_iso(deploy["started"])).total_seconds(), 3)
    code, result = run(capsys, path=path, site="eu", status="deployed")
    assert code == 0 and not result["changed"]


def test_event_without_journal_fails_but_check_mode_simulates(capsys, path):
    code, result = run(capsys, path=path, site="eu", status="deploying")
    assert code == 1 and "does not exist; create it first" in result["msg"] and "at site eu" in result["msg"]
    code, result = run(capsys, path=path, site="eu", status="deploying", _ansible_check_mode=True)
    assert code == 0 and result["changed"]
    import os
    assert not os.path.exists(path)


def test_diff_shows_the_site_entry(capsys, path):
    create(capsys, path)
    code, result = run(capsys, path=path, site="eu", status="verified", _ansible_diff=True)
    assert '"status": "verified"' in result["diff"]["after"] and result["diff"]["before"] == "{}\n"
