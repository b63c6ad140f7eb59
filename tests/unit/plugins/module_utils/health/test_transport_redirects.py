"""Plain http and redirects against real HTTP servers on loopback: which URLs a probe may use, and
that a bearer token reaches only the origin it was given for."""
from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health import transport, url_policy


class Recorder:
    """One loopback server: answers 200 on /ok, redirects /go to `target`, records what arrived."""

    def __init__(self, host: str = "127.0.0.1", tls=None):
        self.seen = []
        self.target = None
        self.status = 302
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                recorder.seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
                if self.path.startswith("/go") and recorder.target:
                    self.send_response(recorder.status)
                    self.send_header("Location", recorder.target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"ready": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = "%s://%s:%d" % (scheme, host, self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    started = [Recorder(), Recorder(), Recorder("127.0.0.2")]
    yield started
    for s in started:
        s.close()


OPTS = transport.TransportOptions(timeout=5, token="s3cret", use_proxy=False)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_token_is_not_forwarded_to_another_port(servers, status):
    origin, other = servers[0], servers[1]
    origin.target, origin.status = other.url + "/ok", status
    r = transport.request("GET", origin.url + "/go", OPTS)
    assert r.status == 200 and r.body == {"ready": True}
    assert origin.seen == [{"path": "/go", "authorization": "Bearer s3cret"}]
    assert other.seen == [{"path": "/ok", "authorization": None}]


def test_token_is_not_forwarded_to_another_host(servers):
    origin, elsewhere = servers[0], servers[2]
    origin.target = elsewhere.url + "/ok"
    assert transport.request("GET", origin.url + "/go", OPTS).status == 200
    assert elsewhere.seen == [{"path": "/ok", "authorization": None}]


def test_token_follows_a_redirect_within_its_origin(servers):
    origin = servers[0]
    origin.target = "/ok"  # relative Location: same scheme, host and port
    assert transport.request("GET", origin.url + "/go", OPTS).status == 200
    assert origin.seen == [{"path": "/go", "authorization": "Bearer s3cret"},
                           {"path": "/ok", "authorization": "Bearer s3cret"}]


def test_a_redirect_loop_ends_with_an_error(servers):
    origin = servers[0]
    origin.target = "/go"
    r = transport.request("GET", origin.url + "/go", OPTS)
    assert r.status is None and "redirect" in r.error
    assert len(origin.seen) == transport.MAX_REDIRECTS + 1


def test_a_redirect_to_plain_http_off_loopback_is_refused_before_it_is_followed(servers):
    origin = servers[0]
    origin.target = "http://192.0.2.1:9/ok"  # TEST-NET-1: never contacted
    r = transport.request("GET", origin.url + "/go", transport.TransportOptions(timeout=2, use_proxy=False))
    assert r.status is None and r.error_kind == "insecure"
    assert "http://192.0.2.1:9/ok" in r.error and "allow_http" in r.error


@pytest.mark.parametrize("url, allow_http, refused", [
    ("https://models.example.com", False, False),
    ("http://models.example.com", False, True),
    ("http://models.example.com", True, False),
    ("http://10.0.0.5:8080/v2", False, True),
    ("http://127.0.0.1:8080", False, False),
    ("http://127.9.9.9", False, False),
    ("http://[::1]:9090", False, False),
    ("http://localhost:9090", False, False),
    ("http://localhost.example.com", False, True),
    ("HTTP://models.example.com", False, True),
])
def test_plain_http_rule(url, allow_http, refused):
    problem = url_policy.plain_http_problem(url, allow_http, "allow_http: true")
    assert (problem is not None) is refused
    if refused:
        assert url in problem and "https" in problem and "allow_http: true" in problem


def test_request_refuses_plain_http_off_loopback_without_sending_anything(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("no request may be sent")

    monkeypatch.setattr(transport, "open_url", never)
    r = transport.request("GET", "http://models.example.com/v2/health/ready", OPTS)
    assert r.status is None and r.error_kind == "insecure"


def test_request_takes_plain_http_when_allowed(servers):
    allowed = transport.TransportOptions(timeout=5, allow_http=True, use_proxy=False)
    assert transport.request("GET", servers[2].url + "/ok", allowed).status == 200


def self_signed(tmp_path):
    """A certificate for 127.0.0.1 that is its own CA: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert_pem, key_pem


def test_https_to_http_redirect_is_refused_even_on_loopback(servers, tmp_path):
    cert, key = self_signed(tmp_path)
    secure = Recorder(tls=(str(cert), str(key)))
    try:
        plain = servers[0]
        secure.target = plain.url + "/ok"
        opts = transport.TransportOptions(timeout=5, ca_path=str(cert), token="s3cret", use_proxy=False)
        r = transport.request("GET", secure.url + "/go", opts)
        assert r.status is None and r.error_kind == "insecure"
        assert "redirected from https to %s/ok" % plain.url in r.error
        assert secure.seen == [{"path": "/go", "authorization": "Bearer s3cret"}]
        assert plain.seen == []
    finally:
        secure.close()
