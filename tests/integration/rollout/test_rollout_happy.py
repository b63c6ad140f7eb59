"""rollout.yml happy path on the lab's three sites, the no-op re-run, verify, status and rollback."""
from __future__ import annotations

import pytest

from rollout_lab import out, recap

pytestmark = pytest.mark.lab


def test_happy_path_rolls_every_site_and_rerun_changes_nothing(lab, rollout):
    release = rollout.release("1.0.0")
    first = rollout.run("rollout.yml", release)
    assert first.returncode == 0, out(first)

    for site, state in rollout.states().items():
        assert state is not None, site
        assert (state["version"], state["ready"], state["replicas"]) == ("1.0.0", 2, 2), (site, state)
    report = rollout.report(release)
    assert report["status"] == "complete" and report["drift"] == [] and report["unreachable"] == []
    assert [s["site"] for s in report["sites"]] == ["lab-eu", "lab-us", "lab-apac"]
    assert [s["batch"] for s in report["sites"]] == ["canary", "wave 2", "wave 3"]
    assert all(s["status"] == "verified" and s["running_now"] == "%s=1.0.0" % rollout.model for s in report["sites"])
    assert all(s["versions_before"] == "%s=absent" % rollout.model for s in report["sites"])
    assert all(s["phases_seconds"]["deploy"] > 0 and s["phases_seconds"]["preflight"] > 0 for s in report["sites"])
    assert "SITE" in first.stdout and "release %s: complete" % report["release"] in first.stdout
    assert (rollout.reports / report["release"] / "report.md").is_file()
    journal = rollout.journal(release)

    second = rollout.run("rollout.yml", release)
    assert second.returncode == 0, out(second)
    counts = recap(second.stdout)
    assert {h: c["changed"] for h, c in counts.items()} == {h: 0 for h in counts}, second.stdout
    # Every site is read again (one preflight of the whole plan from localhost) and none is stepped on.
    assert set(counts) == {"localhost"}, second.stdout
    for site in ("lab-eu", "lab-us", "lab-apac"):
        assert "%s: skip - done and verified by an earlier run" % site in second.stdout, second.stdout
    assert rollout.journal(release) == journal, "a no-op re-run rewrites nothing"

    verify = rollout.run("verify.yml", release)
    assert verify.returncode == 0, out(verify)
    status = rollout.run("status.yml", release)
    assert status.returncode == 0, out(status)
    assert "release %s: complete" % report["release"] in status.stdout


def test_rollback_playbook_returns_sites_to_the_previous_release(lab, rollout):
    v1 = rollout.release("1.0.0")
    assert rollout.run("rollout.yml", v1).returncode == 0
    v2 = rollout.release("2.0.0", on_failure="halt")
    proc = rollout.run("rollout.yml", v2)
    assert proc.returncode == 0, out(proc)
    assert set(rollout.versions().values()) == {"2.0.0"}

    # verify.yml of the old release now sees drift everywhere and fails.
    drift = rollout.run("verify.yml", v1)
    assert drift.returncode != 0 and "drift" in out(drift).lower()

    only_us = rollout.run("rollback.yml", v2, "-e", "rollback_sites=lab-us")
    assert only_us.returncode == 0, out(only_us)
    assert rollout.versions() == {"lab-eu": "2.0.0", "lab-us": "1.0.0", "lab-apac": "2.0.0"}

    everything = rollout.run("rollback.yml", v2)
    assert everything.returncode == 0, out(everything)
    states = rollout.states()
    assert {s: (st["version"], st["ready"]) for s, st in states.items()} == {
        s: ("1.0.0", 2) for s in states}
    assert [s["status"] for s in rollout.report(v2)["sites"]] == ["rolled_back"] * 3
    assert rollout.run("verify.yml", v1).returncode == 0
