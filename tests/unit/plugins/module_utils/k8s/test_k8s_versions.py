from __future__ import annotations

import copy

import pytest

from k8s_fixtures import load_fixture

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.versions import (
    model_errors,
    observe,
    summarize,
    unreachable_rows,
)

DIGEST = "sha256:" + "cd" * 32
IMAGE = "registry.example.com/serving/triton:24.05"


def deployment(**status):
    d = load_fixture("deployment_llm.yaml")
    d["status"].update(status)
    return d


@pytest.mark.parametrize("model, reasons", [
    ({"version": "1.0"}, []),
    ({"version": "2.0"}, ["version 1.0, want 2.0"]),
    ({"image": IMAGE}, []),
    ({"version": "1.0", "image": IMAGE.replace("24.05", "24.06")}, ["image %s, want %s" % (IMAGE, IMAGE.replace("24.05", "24.06"))]),
    ({"image": DIGEST}, ["image %s, want %s" % (IMAGE, DIGEST)]),
])
def test_observe_drift(model, reasons):
    row = observe("lab-a", dict(model, name="llm", namespace="serving"), deployment())
    assert row["drift_reasons"] == reasons
    assert row["drifted"] is bool(reasons)
    assert row["in_sync"] is (not reasons)
    assert (row["replicas"], row["ready_replicas"], row["revision"]) == (2, 2, 2)


def test_observe_digest_match():
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["image"] = IMAGE + "@" + DIGEST
    row = observe("lab-a", {"name": "llm", "namespace": "serving", "image": DIGEST}, d)
    assert row["in_sync"] and row["running_image"].endswith(DIGEST)


def test_missing_deployment_is_drift():
    row = observe("lab-b", {"name": "llm", "namespace": "serving", "version": "1.0"}, None)
    assert row["drifted"] and row["drift_reasons"] == ["Deployment serving/llm not found"]
    assert row["exists"] is False and row["rollout_in_progress"] is False


def test_rolling_and_degraded_are_not_drift_but_not_in_sync():
    rolling = observe("lab-a", {"name": "llm", "namespace": "serving", "version": "1.0"},
                      deployment(updatedReplicas=1))
    assert rolling["rollout_in_progress"] and not rolling["drifted"] and not rolling["in_sync"]
    degraded = observe("lab-a", {"name": "llm", "namespace": "serving", "version": "1.0"},
                       deployment(readyReplicas=1))
    assert degraded["degraded"] and not degraded["drifted"] and not degraded["in_sync"]


def test_summary_line():
    models = [{"name": "llm", "namespace": "serving", "version": "1.0"},
              {"name": "emb", "namespace": "serving", "version": "3"}]
    rows = [observe("lab-a", models[0], deployment()), observe("lab-a", models[1], None)]
    rows += unreachable_rows("lab-c", models)
    text = summarize(["lab-a", "lab-c"], models, rows, [{"site": "lab-c", "error": "x"}])
    assert text == ("2 site(s) x 2 model(s): 1 in sync, 1 drifted, 0 rolling out, 0 degraded, "
                    "1 site(s) unreachable (lab-c); drift: lab-a/serving/emb (Deployment serving/emb not found)")


def test_unreachable_rows_keep_shape():
    rows = unreachable_rows("lab-c", [{"name": "llm", "namespace": "serving", "version": "1"}])
    assert set(rows[0]) == set(observe("x", {"name": "a", "namespace": "b"}, None))
    assert rows[0]["exists"] is None and rows[0]["drifted"] is False


def test_model_errors():
    models = [{"name": "a", "namespace": "n"}, {"name": "b", "namespace": "n", "version": "1"},
              {"name": "b", "namespace": "n", "image": "x:1"}]
    assert model_errors(models) == ["models[0] (n/a) needs version or image", "models[2] (n/b) is listed twice"]
    assert model_errors(copy.deepcopy(models[1:2])) == []
