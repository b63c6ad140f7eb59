"""Journal and resume: a site lost mid-rollout, and Ctrl-C, both finish on the next run."""
from __future__ import annotations

import os
import signal

import pytest

from rollout_lab import out

pytestmark = pytest.mark.lab


def test_site_down_mid_rollout_halts_naming_it_and_rerun_completes(lab, rollout):
    release = rollout.release("1.0.0", soak_seconds=5)
    proc = rollout.start("rollout.yml", release)
    # The canary's journal entry says it is in its gates: freeze the whole run there (its process
    # group) while lab-us goes down, however long the fault takes, then let it go on. The journal,
    # not a time window, says where the run stands.
    rollout.wait_for_journal(release, "lab-eu", {"deployed"})
    os.killpg(proc.pid, signal.SIGSTOP)
    try:
        frozen = rollout.journal(release)["sites"]
        assert frozen["lab-eu"]["status"] == "deployed", frozen
        assert frozen.get("lab-us", {}).get("status", "pending") == "pending", frozen
        lab.fault("lab-us", "down")
    finally:
        os.killpg(proc.pid, signal.SIGCONT)
    assert proc.wait(timeout=600) != 0
    log = (rollout.tmp / "background.log").read_text()
    assert "at site lab-us" in log and "unreachable" in log
    journal = rollout.journal(release)
    assert journal["sites"]["lab-eu"]["status"] == "verified"
    assert journal["sites"]["lab-us"]["status"] in ("failed", "rollback_failed")
    assert "lab-apac" not in journal["sites"] or journal["sites"]["lab-apac"]["status"] == "pending"
    assert rollout.state("lab-apac") is None, "the run went past the failed site"
    assert rollout.state("lab-eu")["version"] == "1.0.0"

    lab.fault("lab-us", "up")
    again = rollout.run("rollout.yml", release)
    assert again.returncode == 0, out(again)
    assert "lab-eu: skip - done and verified" in again.stdout
    assert "lab-us: deploy - an earlier run stopped at this site" in again.stdout
    states = rollout.states()
    assert {s: (st["version"], st["ready"]) for s, st in states.items()} == {s: ("1.0.0", 2) for s in states}
    assert rollout.report(release)["status"] == "complete"


def test_ctrl_c_mid_deploy_resumes_to_completion_keeping_the_rollback_target(lab, rollout):
    v1 = rollout.release("1.0.0")
    assert rollout.run("rollout.yml", v1).returncode == 0
    v2 = rollout.release("2.0.0")
    proc = rollout.start("rollout.yml", v2)
    rollout.wait_for_journal(v2, "lab-us", {"deploying"})
    assert rollout.interrupt(proc) != 0
    interrupted = rollout.journal(v2)
    assert interrupted["sites"]["lab-us"]["status"] in ("deploying", "deployed", "verified")

    again = rollout.run("rollout.yml", v2)
    assert again.returncode == 0, out(again)
    states = rollout.states()
    assert {s: (st["version"], st["ready"]) for s, st in states.items()} == {s: ("2.0.0", 2) for s in states}
    journal = rollout.journal(v2)
    # What a rollback returns to is what ran before the release, not the half-rolled state.
    assert {s: e["before"][rollout.model]["version"] for s, e in journal["sites"].items()} == {
        "lab-eu": "1.0.0", "lab-us": "1.0.0", "lab-apac": "1.0.0"}
    assert rollout.run("rollback.yml", v2).returncode == 0
    assert set(rollout.versions().values()) == {"1.0.0"}
