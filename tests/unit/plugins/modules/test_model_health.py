"""model_health module: argument handling and main() replayed against recorded TF Serving responses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health import gate as gate_mod
from ansible_collections.gpufleet.datacenter.plugins.modules import model_health

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils" / "health"))
from health_replay import Replay, load, tfserving  # noqa: E402  (recorded fixtures live with the module_utils tests)

# A TF Serving reached over plain http inside the site: the example in the module docs, opted in.
BASE = dict(url="http://10.10.0.20:8501", allow_http=True, model="half_plus_three", protocol="tfserving", site="eu-west")


def params(**kw):
    p = {k: v.get("default") for k, v in model_health.ARGUMENT_SPEC.items()}
    p.update(BASE)
    p.update(kw)
    return p


def run_main(args, requester, capsys, monkeypatch):
    # The one seam: HTTP goes to recorded responses, everything else is the real module.
    monkeypatch.setattr(gate_mod, "request", requester)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_:
        model_health.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


def test_argument_spec_types_and_choices():
    spec = model_health.ARGUMENT_SPEC
    assert spec["protocol"]["choices"] == ["v2", "tfserving"]
    assert spec["bearer_token"]["no_log"] is True
    assert "validate_certs" not in spec  # verification cannot be turned off
    assert ("retries", "wait_timeout") in model_health.MUTUALLY_EXCLUSIVE


@pytest.mark.parametrize("kw,error", [
    (dict(url="models.example.com"), "url 'models.example.com' must be an absolute http:// or https:// URL"),
    (dict(url="ftp://h/x"), "url 'ftp://h/x' must be an absolute http:// or https:// URL"),
    (dict(timeout=0.0), "timeout must be greater than 0"),
    (dict(delay=-1.0), "delay -1.0 must not be negative"),
    (dict(retries=-2), "retries -2 must not be negative"),
    (dict(ca_cert="/nonexistent/ca.pem"), "ca_cert /nonexistent/ca.pem is not a file"),
])
def test_validate_refuses_bad_inputs(kw, error):
    assert model_health.validate(params(**kw)) == error


def test_build_defaults_site_to_url_host(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    assert model_health.validate(params(ca_cert=str(ca))) is None
    spec, options, policy = model_health.build(params(site=None, ca_cert=str(ca), bearer_token="t", wait_timeout=60.0))
    assert spec.site == "10.10.0.20:8501"
    assert (options.ca_path, options.token) == (str(ca), "t")
    assert policy.wait_timeout == 60.0


def test_main_passes_on_recorded_tfserving_status(capsys, monkeypatch):
    replay = Replay(tfserving("status_all_versions.yml"))
    replay.recorded["GET /v1/models/half_plus_three/versions/123"] = replay.recorded["GET /v1/models/half_plus_three"]
    code, out = run_main(dict(BASE, version="123", _ansible_check_mode=True), replay, capsys, monkeypatch)
    assert code == 0
    assert out["changed"] is False and out["healthy"] is True
    assert out["served_versions"] == ["123"]
    assert [c["name"] for c in out["checks"]] == ["model_status", "version_status", "version_served"]


def test_main_fails_with_partial_result_on_recorded_not_found(capsys, monkeypatch):
    replay = Replay(tfserving("status_all_versions.yml", "version_not_found.yml"))
    code, out = run_main(dict(BASE, version="124"), replay, capsys, monkeypatch)
    assert code == 1
    assert out["failed"] is True and out["healthy"] is False
    assert out["msg"].startswith("Failed to verify model half_plus_three version 124 at site eu-west: ")
    assert "(served versions: 123)" in out["msg"]
    assert out["served_versions"] == ["123"]


def test_main_refuses_retries_with_wait_timeout(capsys, monkeypatch):
    code, out = run_main(dict(BASE, retries=2, wait_timeout=30), Replay({}), capsys, monkeypatch)
    assert code == 1
    assert "mutually exclusive" in out["msg"]


def test_bearer_token_is_not_echoed(capsys, monkeypatch):
    replay = Replay(load("mlserver/echo_v1.2.0.yml"))
    code, out = run_main(dict(url="http://m:8080", allow_http=True, model="echo", version="v1.2.0",
                              bearer_token="s3cret-token"), replay, capsys, monkeypatch)
    assert code == 0
    assert "s3cret-token" not in json.dumps(out)
