"""model_deploy module: docs vs argument spec, and main() end to end over a Mock client."""
from __future__ import annotations

import copy
import json
from unittest.mock import Mock

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

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


def test_return_documents_every_key_main_returns():
    documented = set(yaml.safe_load(model_deploy.RETURN))
    returned = {"changed", "site", "name", "namespace", "state", "model_version", "image", "previous", "revision",
                "replicas", "ready_replicas", "updated_replicas", "available_replicas", "rollout_complete",
                "rollout", "objects", "elapsed", "diagnosis", "diff"}
    assert returned - {"changed"} <= documented


class Store:
    def __init__(self):
        self.objects = {("Namespace", "serving"): {"kind": "Namespace", "metadata": {"name": "serving"}}}
        self.client = Mock(site="eu-west")
        self.client.get.side_effect = lambda kind, name, namespace=None: copy.deepcopy(self.objects.get((kind, name)))
        self.client.apply.side_effect = self.apply
        self.client.list.return_value = []

    def apply(self, obj, field_manager, force=True, dry_run=False):
        if not dry_run:
            self.objects[(obj["kind"], obj["metadata"]["name"])] = copy.deepcopy(obj)
        return copy.deepcopy(obj)


def run(monkeypatch, capsys, store, **args):
    monkeypatch.setattr(model_deploy, "get_client", lambda auth: store.client)
    with patch_module_args(dict(BASE, **args)), pytest.raises(SystemExit) as exit_:
        model_deploy.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


def test_latest_image_refused_before_any_api_call(monkeypatch, capsys):
    store = Store()
    rc, out = run(monkeypatch, capsys, store, image="registry.example.com/serving/triton:latest")
    assert rc == 1 and out["failed"]
    assert out["msg"].startswith("Failed to build Deployment serving/llm at site eu-west:")
    assert ":latest" in out["msg"]
    assert not store.client.apply.called


def test_check_mode_reports_and_writes_nothing(monkeypatch, capsys):
    store = Store()
    rc, out = run(monkeypatch, capsys, store, _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0 and out["changed"] is True
    assert ("Deployment", "llm") not in store.objects
    assert out["diff"][0]["after"]["metadata"]["labels"]["app.kubernetes.io/version"] == "1.0"


def test_apply_without_wait_then_no_change_and_no_diff_key(monkeypatch, capsys):
    store = Store()
    rc, out = run(monkeypatch, capsys, store, wait=False)
    assert rc == 0 and out["changed"] is True and "diff" not in out
    rc, out = run(monkeypatch, capsys, store, wait=False)
    assert rc == 0 and out["changed"] is False
    assert out["previous"]["version"] == "1.0" and out["site"] == "eu-west"


def test_state_present_requires_image_and_version(monkeypatch, capsys):
    store = Store()
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
