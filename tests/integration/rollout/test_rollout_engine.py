"""The site step on the lab: failures inside a wave, the endpoint and Prometheus gates, pause and
promote, and the progress lines an operator sees while a site waits. Every site's end state is
asserted from the clusters, not only the exit code."""
from __future__ import annotations

import re

import pytest

from rollout_lab import out

pytestmark = pytest.mark.lab

TWO_SITE_WAVE = [["lab-eu"], ["lab-us", "lab-apac"]]


def broken_on(rollout, site, version):
    return {"sites": {site: {"image": "example.invalid/gpufleet/chat-broken:%s" % version}}}


@pytest.mark.parametrize("on_failure, expected", [
    ("rollback_site", {"lab-eu": "2.0.0", "lab-us": "2.0.0", "lab-apac": "1.0.0"}),
    ("rollback_all", {"lab-eu": "1.0.0", "lab-us": "1.0.0", "lab-apac": "1.0.0"}),
])
def test_failure_inside_a_wave_of_two_sites(lab, rollout, on_failure, expected):
    assert rollout.run("rollout.yml", rollout.release("1.0.0", waves=TWO_SITE_WAVE)).returncode == 0
    release = rollout.release("2.0.0", model=broken_on(rollout, "lab-apac", "2.0.0"), waves=TWO_SITE_WAVE,
                              on_failure=on_failure, wait_timeout=20)
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0, out(proc)
    states = rollout.states()
    assert {s: st["version"] for s, st in states.items()} == expected
    assert all(st["ready"] == 2 and "-broken" not in st["image"] for st in states.values()), states
    journal = rollout.journal(release)
    statuses = {s: e["status"] for s, e in journal["sites"].items()}
    if on_failure == "rollback_site":
        assert statuses == {"lab-eu": "verified", "lab-us": "verified", "lab-apac": "rolled_back"}
    else:
        assert statuses == {"lab-eu": "rolled_back", "lab-us": "rolled_back", "lab-apac": "rolled_back"}
    assert "lab-apac" in journal["sites"]["lab-apac"]["diagnosis"]
    assert re.search(r"Readiness|not ready|ContainersNotReady", journal["sites"]["lab-apac"]["diagnosis"])
    report = rollout.report(release)
    assert "lab-apac" in report["rolled_back"] and report["drift"] == []
    assert "Roll back: ansible-playbook" in out(proc) and "Resume: ansible-playbook" in out(proc)


def test_failing_endpoint_gate_rolls_the_site_back(lab, rollout, model_server):
    rollout.model = "echo"  # the model the real MLServer serves, at version v1.2.0 only
    health = {"health": {"protocol": "v2", "endpoint": model_server.url, "timeout": 3}}
    good = rollout.release("v1.2.0", model=health)
    first = rollout.run("rollout.yml", good)
    assert first.returncode == 0, out(first)
    assert [g["name"] for g in rollout.journal(good)["sites"]["lab-eu"]["gates"]] == ["available", "endpoint"]
    bad = rollout.release("v9.0.0", model=health)
    proc = rollout.run("rollout.yml", bad)
    assert proc.returncode != 0
    assert rollout.versions() == {"lab-eu": "v1.2.0", "lab-us": "v1.2.0", "lab-apac": "v1.2.0"}
    entry = rollout.journal(bad)["sites"]["lab-eu"]
    assert entry["status"] == "rolled_back"
    assert "expected version v9.0.0 of model echo is not served" in entry["diagnosis"], entry["diagnosis"]
    assert entry["gates"][-1]["name"] == "gate endpoint" and entry["gates"][-1]["ok"] is False
    assert "lab-us" not in rollout.journal(bad)["sites"] or rollout.journal(bad)["sites"]["lab-us"]["status"] == "pending"


def test_failing_prometheus_gate_rolls_the_site_back(lab, rollout, prometheus):
    assert rollout.run("rollout.yml", rollout.release("1.0.0")).returncode == 0
    rule = {"url": prometheus, "query": 'label_replace(vector(0.5), "site", "$site", "", "")', "max": 0.1}
    release = rollout.release("2.0.0", prometheus=rule)
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    assert rollout.versions() == {"lab-eu": "1.0.0", "lab-us": "1.0.0", "lab-apac": "1.0.0"}
    entry = rollout.journal(release)["sites"]["lab-eu"]
    assert entry["status"] == "rolled_back"
    assert "returned 0.5, expected <= 0.1" in entry["diagnosis"], entry["diagnosis"]
    passing = rollout.release("2.0.0", name="rel-%s-pass" % rollout.token, prometheus=dict(rule, max=1))
    again = rollout.run("rollout.yml", passing)
    assert again.returncode == 0, out(again)
    assert set(rollout.versions().values()) == {"2.0.0"}
    gates = rollout.journal(passing)["sites"]["lab-apac"]["gates"]
    assert gates[-1]["name"] == "prometheus" and gates[-1]["detail"].startswith("0.5")


def test_pause_after_the_canary_then_promote_then_complete(lab, rollout):
    release = rollout.release("1.0.0", pause_after="canary")
    first = rollout.run("rollout.yml", release)
    assert first.returncode == 0, out(first)
    assert rollout.versions() == {"lab-eu": "1.0.0", "lab-us": None, "lab-apac": None}
    journal = rollout.journal(release)
    assert journal["paused"] == {"after": "canary"}
    assert rollout.report(release)["status"] == "paused"
    assert "release %s: paused" % journal["release"] in first.stdout
    assert "-e rollout_promote=true" in first.stdout

    again = rollout.run("rollout.yml", release)
    assert again.returncode == 0 and rollout.versions()["lab-us"] is None, "a re-run without promote stays paused"

    promoted = rollout.run("rollout.yml", release, "-e", "rollout_promote=true")
    assert promoted.returncode == 0, out(promoted)
    assert set(rollout.versions().values()) == {"1.0.0"}
    report = rollout.report(release)
    assert report["status"] == "complete" and "paused" not in rollout.journal(release)


def test_a_paused_release_is_aborted_by_rollback(lab, rollout):
    release = rollout.release("1.0.0", pause_after="canary")
    assert rollout.run("rollout.yml", release).returncode == 0
    proc = rollout.run("rollback.yml", release)
    assert proc.returncode == 0, out(proc)
    assert rollout.states() == {s.name: None for s in lab.sites}


def test_progress_lines_name_what_a_stuck_site_waits_for(lab, rollout):
    release = rollout.release("1.0.0", image_suffix="-broken", wait_timeout=25)
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    lines = [line.strip() for line in proc.stdout.splitlines()
             if line.strip().startswith("lab-eu %s: 0/2 ready" % rollout.model)]
    assert len(lines) >= 2, proc.stdout
    assert re.search(r"Readiness|not ready|ContainersNotReady", lines[-1]), lines[-1]
    assert "lab-eu: wait failed" in proc.stdout
    # The failure message still says where every site is.
    assert "lab-eu: %s=absent (journal: rolled_back)" % rollout.model in out(proc)
    assert "lab-us: %s=absent (journal: pending)" % rollout.model in out(proc)
