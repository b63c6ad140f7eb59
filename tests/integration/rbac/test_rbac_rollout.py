"""The sample rollout with a kubeconfig bound only to the shipped RBAC (playbooks/rbac.yml): it passes,
and with one rule taken away it fails cleanly, naming the verb and the resource."""
from __future__ import annotations

import re

import pytest
from kubernetes import client

from rollout_lab import out

pytestmark = pytest.mark.lab


def test_rollout_runs_with_only_the_shipped_rbac_and_a_removed_rule_is_named(lab, rollout, restricted):
    v1 = rollout.release("1.0.0")
    granted = restricted.grant(v1)
    assert granted.returncode == 0, out(granted)
    restricted.write_kubeconfig()

    first = rollout.run("rollout.yml", v1, *restricted.args())
    assert first.returncode == 0, out(first)
    states = rollout.states()
    assert {s: (st["version"], st["ready"]) for s, st in states.items()} == {s: ("1.0.0", 2) for s in states}
    assert rollout.report(v1)["status"] == "complete"
    # The fleet read (model_versions) and the status read work with the same rights.
    for playbook in ("verify.yml", "status.yml"):
        proc = rollout.run(playbook, v1, *restricted.args())
        assert proc.returncode == 0, (playbook, out(proc))

    # Without `patch deployments` on lab-us (wave 2), the canary rolls and lab-us stops at its first
    # write with the API server's refusal; nothing there or after it changes.
    restricted.drop_verb("lab-us", "Role", "deployments", "patch")
    v2 = rollout.release("2.0.0", on_failure="halt")
    second = rollout.run("rollout.yml", v2, *restricted.args())
    text = out(second)
    assert second.returncode != 0, text
    assert "Traceback" not in text, text
    assert 'cannot patch resource "deployments" in API group "apps"' in text, text
    assert "at site lab-us" in text and "docs/rbac.md" in text, text
    assert rollout.versions() == {"lab-eu": "2.0.0", "lab-us": "1.0.0", "lab-apac": "1.0.0"}
    assert {s["site"]: s["status"] for s in rollout.report(v2)["sites"]}["lab-us"] == "failed"


def test_preflight_names_a_missing_cluster_read_before_any_site_changes(lab, rollout, restricted):
    release = rollout.release("1.0.0")
    assert restricted.grant(release).returncode == 0
    restricted.write_kubeconfig()
    restricted.drop_verb("lab-apac", "ClusterRole", "nodes", "list")

    proc = rollout.run("rollout.yml", release, *restricted.args())
    text = out(proc)
    assert proc.returncode != 0, text
    assert "Traceback" not in text, text
    assert 'cannot list resource "nodes"' in text and "lab-apac" in text, text
    assert rollout.versions() == {"lab-eu": None, "lab-us": None, "lab-apac": None}


def test_a_stuck_canary_is_diagnosed_and_rolled_back_with_only_the_shipped_rbac(lab, rollout, restricted):
    # Never Ready: the wait times out, the diagnosis reads the model's ReplicaSets, pods and events,
    # and the rollback removes the Deployment, Service and NetworkPolicy the canary created (delete).
    broken = rollout.release("1.0.0", image_suffix="-broken", wait_timeout=20, network_policy=True)
    assert restricted.grant(broken).returncode == 0
    restricted.write_kubeconfig()

    proc = rollout.run("rollout.yml", broken, *restricted.args())
    text = out(proc)
    assert proc.returncode != 0, text
    assert "forbidden" not in text and "Traceback" not in text, text
    eu = rollout.report(broken)["sites"][0]
    assert (eu["site"], eu["status"]) == ("lab-eu", "rolled_back"), eu
    assert re.search(r"Readiness|not ready|ContainersNotReady", eu["diagnosis"]), eu
    assert rollout.states() == {"lab-eu": None, "lab-us": None, "lab-apac": None}
    policies = client.NetworkingV1Api(lab.kube("lab-eu")).list_namespaced_network_policy(rollout.namespace).items
    assert policies == [], [p.metadata.name for p in policies]
