from __future__ import annotations

import socket
import ssl
from urllib.error import URLError

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health import transport


@pytest.mark.parametrize("raw,expected", [
    (b"", None),
    (b"  \n", None),
    (b'{"name": "m", "ready": true}', {"name": "m", "ready": True}),
    (b"[]", []),
    (b"upstream connect error", "upstream connect error"),
])
def test_decode_body(raw, expected):
    assert transport.decode_body(raw) == expected


def test_decode_body_caps_what_it_keeps():
    assert len(transport.decode_body(b"x" * (transport.MAX_BODY * 2))) == transport.MAX_BODY


@pytest.mark.parametrize("exc,kind", [
    (URLError(ssl.SSLCertVerificationError(1, "certificate verify failed")), "tls"),
    (URLError(ssl.SSLError(1, "wrong version number")), "tls"),
    (URLError(socket.timeout("timed out")), "timeout"),
    (socket.timeout("timed out"), "timeout"),
    (URLError(ConnectionRefusedError(111, "Connection refused")), "connect"),
    (URLError(socket.gaierror(-2, "Name or service not known")), "connect"),
])
def test_error_kind(exc, kind):
    assert transport._error_kind(exc) == kind


def test_request_sends_bearer_token_and_verifies_tls(monkeypatch):
    seen = {}

    class Resp:
        def getcode(self):
            return 200

        def read(self, n):
            return b'{"ready": true}'

    def fake_open_url(url, **kwargs):
        seen.update(kwargs, url=url)
        return Resp()

    monkeypatch.setattr(transport, "open_url", fake_open_url)
    opts = transport.TransportOptions(timeout=3, ca_path="/etc/ca.pem", token="s3cret")
    r = transport.request("GET", "https://m/v2/health/ready", opts)

    assert r == transport.Response(status=200, body={"ready": True})
    assert seen["validate_certs"] is True
    assert seen["ca_path"] == "/etc/ca.pem"
    assert seen["timeout"] == 3
    assert seen["headers"]["Authorization"] == "Bearer s3cret"
