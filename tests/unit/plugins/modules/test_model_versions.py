"""model_versions module: docs vs argument spec, policies, and main() over Mock site clients."""
from __future__ import annotations

import json
from unittest.mock import Mock

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import fleet
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError
from ansible_collections.gpufleet.datacenter.plugins.modules import model_versions


def deployment(version):
    return {"metadata": {"name": "llm", "generation": 1, "labels": {"app.kubernetes.io/version": version}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "model-server", "image": "m:1"}]}}},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                       "availableReplicas": 1}}


def test_docs_match_argument_spec():
    docs = yaml.safe_load(model_versions.DOCUMENTATION)["options"]

    def compare(spec, documented):
        assert set(spec) == set(documented)
        for name, entry in spec.items():
            assert documented[name]["type"] == entry["type"], name
            assert documented[name].get("default") == entry.get("default"), name
            assert bool(documented[name].get("required")) == bool(entry.get("required")), name
            assert documented[name].get("aliases") == entry.get("aliases"), name
            if "options" in entry:
                compare(entry["options"], documented[name]["suboptions"])
    compare(model_versions.ARGUMENT_SPEC, docs)


def test_site_auth_caps_request_timeouts_by_site_timeout():
    auths = model_versions.site_auths({"sites": [{"name": "a", "kubeconfig": None, "context": "c", "ca_cert": None}],
                                       "site_timeout": 2, "connect_timeout": 5, "read_timeout": 15,
                                       "api_retries": 1})
    assert (auths[0].site, auths[0].context, auths[0].connect_timeout, auths[0].read_timeout,
            auths[0].api_retries) == ("a", "c", 2.0, 2.0, 1)


def run(monkeypatch, capsys, answers, **args):
    def factory(auth):
        client = Mock(site=auth.site)
        answer = answers[auth.site]
        if isinstance(answer, Exception):
            client.list.side_effect = answer
        else:
            client.list.return_value = [deployment(answer)]
        return client
    original = fleet.query_fleet
    monkeypatch.setattr(model_versions, "query_fleet",
                        lambda auths, models, timeout, site_models=None: original(
                            auths, models, timeout, client_factory=factory, site_models=site_models))
    base = {"sites": [{"name": s} for s in answers], "models": [{"name": "llm", "namespace": "serving", "version": "2"}]}
    with patch_module_args(dict(base, **args)), pytest.raises(SystemExit) as exit_:
        model_versions.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


def test_report_in_sync(monkeypatch, capsys):
    rc, out = run(monkeypatch, capsys, {"a": "2", "b": "2"}, _ansible_check_mode=True)
    assert rc == 0 and out["changed"] is False and out["in_sync"] is True
    assert out["drift"] == [] and out["unreachable"] == []
    assert out["summary"].startswith("2 site(s) x 1 model(s): 2 in sync, 0 drifted")


@pytest.mark.parametrize("fail_on_drift, rc", [(False, 0), (True, 1)])
def test_drift_policy(monkeypatch, capsys, fail_on_drift, rc):
    code, out = run(monkeypatch, capsys, {"a": "2", "b": "1"}, fail_on_drift=fail_on_drift)
    assert code == rc
    assert [(d["site"], d["drift_reasons"]) for d in out["drift"]] == [("b", ["version 1, want 2"])]
    assert out["in_sync"] is False
    if fail_on_drift:
        assert out["msg"].startswith("Model versions drifted:") and "b/serving/llm (version 1, want 2)" in out["msg"]


@pytest.mark.parametrize("allow, rc", [(False, 1), (True, 0)])
def test_unreachable_policy(monkeypatch, capsys, allow, rc):
    refused = ApiError("list", "Deployments in namespace serving", "b", "API server unreachable: Connection refused")
    code, out = run(monkeypatch, capsys, {"a": "2", "b": refused}, allow_unreachable=allow)
    assert code == rc
    assert [u["site"] for u in out["unreachable"]] == ["b"]
    if not allow:
        assert "at site(s) b" in out["msg"] and "Connection refused" in out["msg"]


def test_bad_input_fails_before_any_query(monkeypatch, capsys):
    monkeypatch.setattr(model_versions, "query_fleet", Mock(side_effect=AssertionError("queried")))
    with patch_module_args({"sites": [{"site": "a"}, {"name": "a"}], "models": [{"name": "x", "namespace": "n"}]}), \
            pytest.raises(SystemExit):
        model_versions.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "models[0] (n/x) needs version or image" in out["msg"] and "site a is listed twice" in out["msg"]


def test_a_site_is_judged_against_its_own_intended_models(monkeypatch, capsys):
    pinned = {"b": [{"name": "llm", "namespace": "serving", "version": "1"}]}
    code, out = run(monkeypatch, capsys, {"a": "2", "b": "1"}, fail_on_drift=True, site_models=pinned)
    assert code == 0 and out["drift"] == [] and out["in_sync"] is True
    assert {(r["site"], r["desired_version"]) for r in out["models"]} == {("a", "2"), ("b", "1")}
    code, out = run(monkeypatch, capsys, {"a": "1", "b": "1"}, fail_on_drift=True, site_models=pinned)
    assert code == 1 and [d["site"] for d in out["drift"]] == ["a"]
