"""Rollout safety on the lab: two runs at once, a killed run, a site left out of kube_api, secrets,
where the journal lives and whether it is trusted, and Deployments we did not create.

Synchronisation is on the journal's state (a run soaking at a site holds its leases), never on a sleep.
"""
from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client

from rollout_lab import PLAYBOOKS, REPO, Rollout, out

pytestmark = pytest.mark.lab

SECRET = "hf_lab_secret_0123456789"


def soaking(rollout, version, seconds=60, **policy):
    """A release that sits at each site for `seconds` after deploying: its leases stay held."""
    return rollout.release(version, soak_seconds=seconds, **policy)


def test_two_runs_changing_one_model_the_second_refused_while_another_model_proceeds(lab, rollout, tmp_path):
    assert rollout.run("rollout.yml", rollout.release("1.0.0")).returncode == 0
    first = soaking(rollout, "2.0.0")
    running = rollout.start("rollout.yml", first)
    other = Rollout(lab, tmp_path / "other")
    other.reports.parent.mkdir(exist_ok=True)
    try:
        rollout.wait_for_journal(first, "lab-eu", ["deployed"])
        second = rollout.release("3.0.0")
        proc = rollout.run("rollout.yml", second)
        assert proc.returncode != 0
        text = out(proc)
        assert "model %s is being changed by another rollout (release %s from" % (
            rollout.model, first.stem) in text, text
        assert re.search(r"from \S+, PID \d+\) since 20", text), text
        assert "no site was changed" in text
        assert rollout.journal(second) is None
        # A second team rolling another model to the same site at the same time is normal.
        proc = other.run("rollout.yml", other.release("1.0.0"))
        assert proc.returncode == 0, out(proc)
        assert set(other.versions().values()) == {"1.0.0"}
    finally:
        assert running.wait(timeout=600) == 0, (rollout.tmp / "background.log").read_text()
        other.cleanup()
    assert set(rollout.versions().values()) == {"2.0.0"}
    leases = client.CoordinationV1Api(lab.kube("lab-eu")).read_namespaced_lease(
        "gpufleet-model-" + rollout.model, rollout.namespace)
    assert leases.spec.holder_identity is None  # given back at the end of the step


def test_a_killed_run_is_taken_over_and_finished_with_no_mixed_versions(lab, rollout):
    assert rollout.run("rollout.yml", rollout.release("1.0.0")).returncode == 0
    release = soaking(rollout, "2.0.0", seconds=20)
    running = rollout.start("rollout.yml", release)
    rollout.wait_for_journal(release, "lab-eu", ["deployed"])
    # The whole run, as kill -9 of everything it started: Ansible's workers detach into sessions of
    # their own and would outlive ansible-playbook alone (and they keep their leases while they live).
    workers = subprocess.run(["pgrep", "-P", str(running.pid)], capture_output=True, text=True,
                             check=False).stdout.split()
    os.killpg(running.pid, signal.SIGKILL)
    for pid in workers:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    running.wait(timeout=60)
    lease = client.CoordinationV1Api(lab.kube("lab-eu")).read_namespaced_lease(
        "gpufleet-model-" + rollout.model, rollout.namespace)
    assert lease.spec.holder_identity and lease.spec.holder_identity.endswith(":" + release.stem)

    proc = rollout.run("rollout.yml", release)
    assert proc.returncode == 0, out(proc)
    assert "took over the run lock of PID" in out(proc)
    notes = [n["note"] for n in rollout.journal(release)["sites"]["lab-eu"].get("notes", [])]
    assert any("took over the lease of model %s" % rollout.model in n for n in notes), notes
    for site in lab.sites:
        replica_sets = client.AppsV1Api(lab.kube(site)).list_namespaced_replica_set(rollout.namespace).items
        serving = {rs.spec.template.spec.containers[0].image
                   for rs in replica_sets if (rs.status.ready_replicas or 0) > 0}
        assert serving == {"example.invalid/gpufleet/chat:2.0.0"}, (site.name, serving)


def test_a_site_without_a_kube_api_host_is_refused_before_anything_changes(lab, rollout, tmp_path):
    extra = tmp_path / "mars.yml"
    extra.write_text("all:\n  children:\n    lab_mars:\n      hosts:\n        gpu-mars-1:\n"
                     "          gpufleet_site: lab-mars\n")
    proc = rollout.run("rollout.yml", rollout.release("1.0.0"), "-i", str(extra))
    assert proc.returncode != 0
    assert ("(inventory): site lab-mars: no host in the kube_api group (its hosts: gpu-mars-1)" in out(proc)), out(proc)
    assert not any(rollout.namespace_exists(s) for s in lab.sites)


def test_no_secret_on_disk_or_in_output_and_a_rollback_restores_env_exactly(lab, rollout):
    env_v1 = {"HF_TOKEN": SECRET, "FROM_SECRET": {"secret": "hf", "key": "token"}}
    first = rollout.run("rollout.yml", rollout.release("1.0.0", model={"env": env_v1}))
    assert first.returncode == 0, out(first)
    broken = {"env": {"HF_TOKEN": SECRET + "-v2"},
              "sites": {"lab-eu": {"image": "example.invalid/gpufleet/chat-broken:2.0.0"}}}
    release = rollout.release("2.0.0", model=broken, wait_timeout=20)
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    assert rollout.journal(release)["sites"]["lab-eu"]["status"] == "rolled_back"
    live = client.AppsV1Api(lab.kube("lab-eu")).read_namespaced_deployment(rollout.model, rollout.namespace)
    env = {e.name: (e.value, e.value_from.secret_key_ref.to_dict() if e.value_from else None)
           for e in live.spec.template.spec.containers[0].env}
    assert env["HF_TOKEN"] == (SECRET, None)
    assert env["FROM_SECRET"][0] is None and env["FROM_SECRET"][1]["name"] == "hf"
    assert env["FROM_SECRET"][1]["key"] == "token"
    for text in (out(first), out(proc)):
        assert SECRET not in text
    files = [p for p in rollout.reports.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert SECRET not in path.read_text(), path
        if path.suffix in (".json", ".md"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((rollout.reports / "journal").stat().st_mode) == 0o700


def test_the_journal_is_found_from_another_working_directory(lab, rollout, tmp_path):
    release = rollout.release("1.0.0")
    name = release.stem
    journal_dir = REPO / "reports" / "journal"
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(lab.inventory),
               str(PLAYBOOKS / "rollout.yml"), "-e", "release=%s" % release]
    try:
        for cwd in (tmp_path, "/"):
            proc = subprocess.run(command, cwd=cwd, env=Rollout.env(), capture_output=True, text=True, timeout=900,
                                  check=False)
            assert proc.returncode == 0, out(proc)
        assert "done and verified by an earlier run" in out(proc)
        journals = sorted(journal_dir.glob("%s-*.json" % name))
        assert len(journals) == 1 and json.loads(journals[0].read_text())["path"] == str(journals[0])
    finally:
        for path in journal_dir.glob("%s-*" % name):
            path.unlink()
        for path in (REPO / "reports" / name).glob("*"):
            path.unlink()
        if (REPO / "reports" / name).exists():
            (REPO / "reports" / name).rmdir()


def test_a_corrupt_or_foreign_journal_is_a_clear_error(lab, rollout):
    release = rollout.release("1.0.0")
    assert rollout.run("rollout.yml", release).returncode == 0
    [journal] = (rollout.reports / "journal").glob("%s-*.json" % release.stem)
    for content, named in (('{"schema": 99, "release": "x", "sites": {}}', "schema 99 is not supported"),
                           ('{"sites": [1', "not valid JSON")):
        journal.write_text(content)
        proc = rollout.run("rollout.yml", release)
        assert proc.returncode != 0
        assert named in out(proc) and str(journal) in out(proc) and "move the file aside" in out(proc), out(proc)
        assert "Traceback" not in out(proc)


def test_a_deployment_we_did_not_create_is_refused_naming_it(lab, rollout):
    core, apps = client.CoreV1Api(lab.kube("lab-us")), client.AppsV1Api(lab.kube("lab-us"))
    core.create_namespace({"metadata": {"name": rollout.namespace}})
    labels = {"app": "theirs"}
    apps.create_namespaced_deployment(rollout.namespace, {
        "metadata": {"name": rollout.model, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "theirs:1"}]}}}})
    proc = rollout.run("rollout.yml", rollout.release("1.0.0"))
    assert proc.returncode != 0
    assert ("site lab-us: Deployment %s/%s exists and is not managed by gpufleet.datacenter (it is managed by "
            % (rollout.namespace, rollout.model)) in out(proc), out(proc)
    assert "no site was changed" in out(proc)
    live = apps.read_namespaced_deployment(rollout.model, rollout.namespace)
    assert live.spec.template.spec.containers[0].image == "theirs:1"
    assert rollout.state(lab.site("lab-eu")) is None
