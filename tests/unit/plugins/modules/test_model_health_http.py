"""model_health refuses plain http off loopback unless allow_http, before sending anything."""
from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health import gate as gate_mod
from ansible_collections.gpufleet.datacenter.plugins.modules import model_health


def params(**kw):
    p = {k: v.get("default") for k, v in model_health.ARGUMENT_SPEC.items()}
    p.update(model="chat", **kw)
    return p


def test_allow_http_defaults_to_off():
    assert model_health.ARGUMENT_SPEC["allow_http"] == {"type": "bool", "default": False}


@pytest.mark.parametrize("url, allow_http, refused", [
    ("http://10.10.0.20:8501", False, True),
    ("http://models.example.com", False, True),
    ("http://10.10.0.20:8501", True, False),
    ("https://models.example.com", False, False),
    ("http://127.0.0.1:8080", False, False),
    ("http://[::1]:8080", False, False),
])
def test_validate_plain_http(url, allow_http, refused):
    error = model_health.validate(params(url=url, allow_http=allow_http))
    if refused:
        assert error == ("%s is plain http off loopback: a token or the answers would cross the network in clear "
                         "text; use https, or allow it explicitly with allow_http: true" % url)
    else:
        assert error is None


def test_build_hands_the_opt_in_to_the_transport():
    options = model_health.build(params(url="http://10.0.0.1", allow_http=True, site="eu"))[1]
    assert options.allow_http is True


def test_main_refuses_plain_http_without_a_request(capsys, monkeypatch):
    def never(*args):
        raise AssertionError("no request may be sent")

    monkeypatch.setattr(gate_mod, "request", never)
    args = {"url": "http://models.example.com", "model": "chat", "bearer_token": "s3cret"}
    with patch_module_args(args), pytest.raises(SystemExit) as exit_:
        model_health.main()
    result = json.loads(capsys.readouterr().out)
    assert exit_.value.code == 1 and result["failed"] is True
    assert "plain http off loopback" in result["msg"] and "s3cret" not in json.dumps(result)
