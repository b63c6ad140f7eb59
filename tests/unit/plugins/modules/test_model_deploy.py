"""model_deploy module: docs vs argument spec, and main() end to end over a server-like fake (k8s_server)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils" / "k8s"))
from k8s_server import ApiServer  # noqa: E402  (the server-like fake lives with the k8s module_utils tests)

from ansible_collections.gpufleet.datacenter.plugins.doc_fragments.k8s_auth import ModuleDocFragment
from ansible_collections.gpufleet.datacenter.plugins.modules import model_deploy

BASE = {"site": "eu-west", "kubeconfig": "/nonexistent/kubeconfig", "name": "llm", "namespace": "serving",
        "image": "registry.example.com/serving/triton:24.05", "model_version": "1.0"}


def documented_options():
    options = dict(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    options.update(yaml.safe_load(model_deploy.DOCUMENTATION)["options"])
    return options


def test_every_option_documented_with_type_and_default():
    spec, docs = model_deploy.argument_spec(), documented_options()
    assert set(spec) == set(docs)
    for name, entry in spec.items():
        assert docs[name]["type"] == entry["type"], name
        assert docs[name].get("default") == entry.get("default"), name
        assert docs[name].get("choices") == entry.get("choices"), name
        assert bool(docs[name].get("required")) == bool(entry.get("required")), name


NAMESPACE = {("Namespace", "serving"): {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "serving"}}}
# What AnsibleModule itself adds to a result; RETURN documents the module's own keys.
FRAMEWORK_KEYS = {"changed", "failed", "msg", "invocation", "warnings", "deprecations"}


def run(monkeypatch, capsys, store, **args):
    monkeypatch.setattr(model_deploy, "get_client", lambda auth: store.client)
    with patch_module_args(dict(BASE, **args)), pytest.raises(SystemExit) as exit_:
        model_deploy.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


def documented_when(*conditions):
    return {k for k, v in yaml.safe_load(model_deploy.RETURN).items() if v["returned"] in conditions}


@pytest.mark.parametrize("args, rc, conditions", [
    ({"wait": False, "_ansible_diff": True}, 0,
     ("always", "when O(state=present)", "when diff mode is on and something changes")),
    ({"wait_timeout": 1, "wait_sleep": 0.05}, 1, ("always", "when O(state=present)", "on rollout failure")),
    ({"state": "absent"}, 0, ("always",)),
])
def test_main_returns_exactly_the_keys_return_documents(monkeypatch, capsys, args, rc, conditions):
    # main() run and held against RETURN: no key that RETURN does not document, every key documented
    # for this case, and a key documented only for other cases carries no value here (null).
    code, out = run(monkeypatch, capsys, ApiServer(NAMESPACE, site="eu-west"), **args)
    assert code == rc, out
    expected = documented_when(*conditions)
    assert set(out) - FRAMEWORK_KEYS <= set(yaml.safe_load(model_deploy.RETURN))
    assert expected <= set(out)
    assert {k for k, v in out.items() if v is not None} - FRAMEWORK_KEYS <= expected


def test_latest_image_refused_before_any_api_call(monkeypatch, capsys):
    store = ApiServer(NAMESPACE, site="eu-west")
    rc, out = run(monkeypatch, capsys, store, image="registry.example.com/serving/triton:latest")
    assert rc == 1 and out["failed"]
    assert out["msg"].startswith("Failed to build Deployment serving/llm at site eu-west:")
    assert ":latest" in out["msg"]
    assert not store.client.apply.called


def test_check_mode_reports_and_writes_nothing(monkeypatch, capsys):
    store = ApiServer(NAMESPACE, site="eu-west")
    rc, out = run(monkeypatch, capsys, store, _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0 and out["changed"] is True
    assert ("Deployment", "llm") not in store.objects
    assert out["diff"][0]["after"]["metadata"]["labels"]["app.kubernetes.io/version"] == "1.0"


def test_apply_without_wait_then_no_change_and_no_diff_key(monkeypatch, capsys):
    store = ApiServer(NAMESPACE, site="eu-west")
    rc, out = run(monkeypatch, capsys, store, wait=False)
    assert rc == 0 and out["changed"] is True and "diff" not in out
    rc, out = run(monkeypatch, capsys, store, wait=False)
    assert rc == 0 and out["changed"] is False
    assert out["previous"]["version"] == "1.0" and out["site"] == "eu-west"


def test_state_present_requires_image_and_version(monkeypatch, capsys):
    store = ApiServer(NAMESPACE, site="eu-west")
    monkeypatch.setattr(model_deploy, "get_client", lambda auth: store.client)
    args = {k: v for k, v in BASE.items() if k not in ("image", "model_version")}
    with patch_module_args(args), pytest.raises(SystemExit):
        model_deploy.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "image" in out["msg"] and "model_version" in out["msg"]


def test_config_error_names_site(capsys):
    with patch_module_args(dict(BASE)), pytest.raises(SystemExit):
        model_deploy.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "at site eu-west" in out["msg"] and "/nonexistent/kubeconfig" in out["msg"]
