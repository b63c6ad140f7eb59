"""What runs at a site is read from the Deployment's image and its version label (or, where the label
is missing, the version annotation), and "runs the release" needs both: a version label that says
2.0 over the old image is not the release, in the fleet report, the resume decision and the report."""
from __future__ import annotations

import copy

import pytest

from k8s_fixtures import load_fixture

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import (
    running_image, running_version, snapshot)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.versions import observe
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import decide, model_at_desired

OLD_IMAGE = "registry.example.com/serving/triton:24.05"
NEW_IMAGE = "registry.example.com/serving/triton:24.06"
KEY = "app.kubernetes.io/version"


def deployment(version_label="2.0", version_annotation="2.0", image=NEW_IMAGE):
    d = load_fixture("deployment_llm.yaml")
    d["metadata"]["labels"].pop(KEY)
    d["metadata"]["annotations"].pop(KEY)
    if version_label is not None:
        d["metadata"]["labels"][KEY] = version_label
    if version_annotation is not None:
        d["metadata"]["annotations"][KEY] = version_annotation
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return d


@pytest.mark.parametrize("label, annotation, version", [
    ("2.0", "2.0", "2.0"),
    ("2.0", None, "2.0"),
    (None, "2.0", "2.0"),        # a label removed by hand: the annotation still says it
    ("2.0", "1.0", "2.0"),       # the label wins
    (None, None, None),
])
def test_running_version_from_the_label_else_the_annotation(label, annotation, version):
    assert running_version(deployment(label, annotation)) == version


def test_running_image_is_the_model_servers_container_else_the_first():
    d = deployment()
    sidecar = {"name": "proxy", "image": "registry.example.com/proxy:1"}
    d["spec"]["template"]["spec"]["containers"].insert(0, sidecar)
    assert running_image(d) == NEW_IMAGE
    d["spec"]["template"]["spec"]["containers"][1]["name"] = "renamed"
    assert running_image(d) == sidecar["image"]
    assert running_image(None) is None


MODEL = {"name": "llm", "namespace": "serving", "version": "2.0", "image": NEW_IMAGE, "replicas": 2}


@pytest.mark.parametrize("live, in_sync, reason", [
    (deployment(), True, None),
    (deployment(image=OLD_IMAGE), False, "image %s, want %s" % (OLD_IMAGE, NEW_IMAGE)),
    (deployment("1.0", "1.0"), False, "version 1.0, want 2.0"),
    (deployment(None, "2.0"), True, None),
])
def test_fleet_report_needs_the_image_and_the_version(live, in_sync, reason):
    row = observe("lab-a", MODEL, live)
    assert row["in_sync"] is in_sync and row["drifted"] is not in_sync
    assert row["drift_reasons"] == ([reason] if reason else [])


@pytest.mark.parametrize("live, at_release", [
    (deployment(), True),
    (deployment(image=OLD_IMAGE), False),
    (deployment("1.0", "1.0"), False),
    (deployment(None, "2.0"), True),
])
def test_resume_needs_the_image_and_the_version(live, at_release):
    current = snapshot(live)
    assert model_at_desired(current, MODEL) is at_release
    verdict = decide({"status": "verified", "before": {"llm": {"exists": False}}}, {"llm": current}, [MODEL])
    assert verdict["action"] == ("skip" if at_release else "deploy")


def test_a_half_ready_release_is_not_at_the_release():
    live = deployment()
    live = copy.deepcopy(live)
    live["status"]["readyReplicas"] = 1
    assert model_at_desired(snapshot(live), MODEL) is False
