"""model_versions module: docs vs argument spec, policies, and main() over Mock site clients."""
from __future__ import annotations

import json
from unittest.mock import Mock

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.doc_fragments.k8s_auth import ModuleDocFragment
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import fleet
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError
from ansible_collections.gpufleet.datacenter.plugins.modules import model_versions


def deployment(version):
    return {"metadata": {"name": "llm", "generation": 1, "labels": {"app.kubernetes.io/version": version}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "model-server", "image": "m:1"}]}}},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                       "availableReplicas": 1}}


def test_docs_match_argument_spec():
    doc = yaml.safe_load(model_versions.DOCUMENTATION)
    assert doc["extends_documentation_fragment"] == ["gpufleet.datacenter.k8s_auth.credentials"]
    docs = dict(yaml.safe_load(ModuleDocFragment.CREDENTIALS)["options"], **doc["options"])

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


def run_auths(monkeypatch, capsys, **args):
    """The SiteAuth main() builds for each site, from real module arguments (and the environment)."""
    seen = {}

    def query(auths, models, timeout, site_models=None):
        seen.update((a.site, a) for a in auths)
        return {"rows": [], "unreachable": [], "per_site": {}}
    monkeypatch.setattr(model_versions, "query_fleet", query)
    with patch_module_args(dict({"models": [{"name": "llm", "namespace": "serving", "version": "2"}]}, **args)), \
            pytest.raises(SystemExit) as exit_:
        model_versions.main()
    assert exit_.value.code == 0, capsys.readouterr().out
    return seen


def test_site_entries_fall_back_to_the_module_options(monkeypatch, capsys, tmp_path):
    seen = run_auths(monkeypatch, capsys, kubeconfig=str(tmp_path / "fleet"), api_key="tok", proxy="http://p:3128",
                     sites=[{"name": "a"}, {"site": "b", "kubeconfig": str(tmp_path / "b"), "ssl_ca_cert": "/ca/b.pem",
                                            "context": "b-ctx", "api_key": "b-tok"}])
    assert (seen["a"].kubeconfig, seen["a"].api_key, seen["a"].proxy, seen["a"].ca_cert) == (
        str(tmp_path / "fleet"), "tok", "http://p:3128", None)
    assert (seen["b"].kubeconfig, seen["b"].context, seen["b"].ca_cert, seen["b"].api_key, seen["b"].proxy) == (
        str(tmp_path / "b"), "b-ctx", "/ca/b.pem", "b-tok", "http://p:3128")


def test_k8s_auth_environment_reaches_every_site_but_not_over_an_entry(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", str(tmp_path / "env"))
    monkeypatch.setenv("K8S_AUTH_SSL_CA_CERT", "/ca/env.pem")
    seen = run_auths(monkeypatch, capsys, sites=[{"name": "a"}, {"name": "b", "kubeconfig": str(tmp_path / "b")}])
    assert (seen["a"].kubeconfig, seen["a"].ca_cert) == (str(tmp_path / "env"), "/ca/env.pem")
    assert (seen["b"].kubeconfig, seen["b"].ca_cert) == (str(tmp_path / "b"), "/ca/env.pem")


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
    assert out["drift"] == [] and out["unreachable_sites"] == []
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
    assert [u["site"] for u in out["unreachable_sites"]] == ["b"]
    # ansible-core 2.21 reads a result's `unreachable` as the task's own flag (a host taken out of the play).
    assert "unreachable" not in out
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
