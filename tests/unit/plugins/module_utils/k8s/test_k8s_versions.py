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


def test_observe_builds_the_whole_row():
    model = {"name": "llm", "namespace": "serving", "version": "1.0", "image": IMAGE}
    assert observe("lab-a", model, deployment()) == {
        "site": "lab-a", "name": "llm", "namespace": "serving", "exists": True, "desired_version": "1.0",
        "running_version": "1.0", "desired_image": IMAGE, "running_image": IMAGE, "replicas": 2,
        "ready_replicas": 2, "updated_replicas": 2, "available_replicas": 2, "revision": 2,
        "rollout_in_progress": False, "drift_reasons": [], "drifted": False, "degraded": False, "in_sync": True}
    missing = observe("lab-b", model, None)
    assert (missing["degraded"], missing["in_sync"], missing["rollout_in_progress"]) == (False, False, False)


def test_a_desired_version_is_compared_as_text_and_a_missing_one_is_named():
    d = deployment()
    assert observe("lab-a", {"name": "llm", "namespace": "serving", "version": 1.0}, d)["drift_reasons"] == []
    del d["metadata"]["labels"]["app.kubernetes.io/version"]
    d["metadata"].get("annotations", {}).pop("app.kubernetes.io/version", None)
    row = observe("lab-a", {"name": "llm", "namespace": "serving", "version": "1.0"}, d)
    assert row["drift_reasons"] == ["version (none), want 1.0"]
    assert observe("lab-a", {"name": "llm", "namespace": "serving"}, d)["drift_reasons"] == []


def test_no_running_image_is_named():
    d = deployment()
    d["spec"]["template"]["spec"]["containers"] = []
    row = observe("lab-a", {"name": "llm", "namespace": "serving", "image": IMAGE}, d)
    assert row["drift_reasons"] == ["image (none), want %s" % IMAGE]
    assert observe("lab-a", {"name": "llm", "namespace": "serving", "image": ""}, d)["drift_reasons"] == []


def test_a_site_with_fewer_ready_replicas_than_wanted_is_degraded_only_then():
    model = {"name": "llm", "namespace": "serving", "version": "1.0"}
    assert observe("lab-a", model, deployment(readyReplicas=1))["degraded"] is True
    assert observe("lab-a", model, deployment(readyReplicas=2))["degraded"] is False
    assert observe("lab-a", model, deployment(readyReplicas=3))["degraded"] is False


def test_unreachable_rows_say_nothing_is_known():
    models = [{"name": "llm", "namespace": "serving", "version": "1", "image": IMAGE}, {"name": "emb", "namespace": "x"}]
    assert unreachable_rows("lab-c", models) == [
        {"site": "lab-c", "name": "llm", "namespace": "serving", "exists": None, "desired_version": "1",
         "running_version": None, "desired_image": IMAGE, "running_image": None, "replicas": None,
         "ready_replicas": None, "updated_replicas": None, "available_replicas": None, "revision": None,
         "rollout_in_progress": None, "drift_reasons": [], "drifted": False, "degraded": None, "in_sync": None},
        {"site": "lab-c", "name": "emb", "namespace": "x", "exists": None, "desired_version": None,
         "running_version": None, "desired_image": None, "running_image": None, "replicas": None,
         "ready_replicas": None, "updated_replicas": None, "available_replicas": None, "revision": None,
         "rollout_in_progress": None, "drift_reasons": [], "drifted": False, "degraded": None, "in_sync": None},
    ]


def row(name, drifted=False, rolling=False, degraded=False, exists=True):
    return {"site": "s", "namespace": "n", "name": name, "exists": exists, "drifted": drifted,
            "drift_reasons": ["version 1, want 2"] if drifted else [], "rollout_in_progress": rolling,
            "degraded": degraded, "in_sync": exists and not (drifted or rolling or degraded)}


def test_summary_counts_each_row_once_by_its_worst_state():
    rows = [row("ok"), row("d", drifted=True, rolling=True, degraded=True), row("r", rolling=True, degraded=True),
            row("r2", rolling=True), row("g", degraded=True), row("g2", degraded=True), row("u", exists=None)]
    assert summarize(["s", "t"], [{}] * 7, rows, []) == (
        "2 site(s) x 7 model(s): 1 in sync, 1 drifted, 2 rolling out, 2 degraded, 0 site(s) unreachable; "
        "drift: s/n/d (version 1, want 2)")
    assert summarize(["s"], [{}], [row("ok")], []) == (
        "1 site(s) x 1 model(s): 1 in sync, 0 drifted, 0 rolling out, 0 degraded, 0 site(s) unreachable")


def test_summary_names_every_unreachable_site_and_the_first_five_drifted():
    five = [row("m%d" % i, drifted=True) for i in range(5)]
    unreachable = [{"site": "lab-c", "error": "x"}, {"site": "lab-d", "error": "y"}]
    text = summarize(["s"], [{}] * 6, five, unreachable)
    assert text == ("1 site(s) x 6 model(s): 0 in sync, 5 drifted, 0 rolling out, 0 degraded, 2 site(s) unreachable "
                    "(lab-c, lab-d); drift: " + ", ".join("s/n/m%d (version 1, want 2)" % i for i in range(5)))
    text = summarize(["s"], [{}] * 6, five + [row("m5", drifted=True)], [])
    assert text.endswith(", ".join("s/n/m%d (version 1, want 2)" % i for i in range(5)) + " ...")
    assert "6 drifted" in text and "m5" not in text


def test_model_errors_name_each_problem_with_its_index():
    assert model_errors([{"name": "a", "namespace": "n", "image": ""}, {"name": "b", "version": 0},
                         {"name": "b", "version": "1"}, {"name": "a", "namespace": "n", "version": "1"}]) == [
        "models[0] (n/a) needs version or image", "models[2] (None/b) is listed twice",
        "models[3] (n/a) is listed twice"]


def test_an_empty_desired_version_matches_a_deployment_without_one():
    d = deployment()
    del d["metadata"]["labels"]["app.kubernetes.io/version"]
    d["metadata"].get("annotations", {}).pop("app.kubernetes.io/version", None)
    assert observe("lab-a", {"name": "llm", "namespace": "serving", "version": ""}, d)["drift_reasons"] == []
    assert observe("lab-a", {"name": "llm", "namespace": "serving", "version": "1.0"}, d)["drift_reasons"] == [
        "version (none), want 1.0"]
