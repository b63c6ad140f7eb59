"""The client's own wire (k8s/kubeconfig.py, k8s/transport.py) against a real HTTPS server on
loopback that requires a client certificate, as kube-apiserver does: the kubeconfig forms read
here, TLS verification, inline keys that never stay on disk, and the official loader for a
credential plugin."""
from __future__ import annotations

import base64
import datetime
import glob
import ipaddress
import json
import os
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import client as k8s
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError, ConfigError


def issue(name, issuer=None, ca=False, ip=None):
    """(cert PEM, key PEM) signed by issuer (cert, key objects), else self-signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_cert, signer_key = issuer if issuer else (None, key)
    now = datetime.datetime.now(datetime.timezone.utc)
    signer_public = (signer_cert.public_key() if signer_cert else key.public_key())
    # What Python 3.13's strict verification (VERIFY_X509_STRICT) requires, as real CAs issue it:
    # key identifiers and key usage.
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(signer_cert.subject if signer_cert else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_public), critical=False)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    if not ca:
        usages = [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    cert = builder.sign(signer_key, hashes.SHA256())
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert, key, pem, key_pem


@pytest.fixture(scope="module")
def pki():
    ca = issue("gpufleet-test-ca", ca=True)
    other_ca = issue("someone-else-ca", ca=True)
    server = issue("127.0.0.1", issuer=ca[:2], ip="127.0.0.1")
    user = issue("gpufleet-operator", issuer=ca[:2])
    return {"ca": ca[2], "other_ca": other_ca[2], "server": server[2:], "user": user[2:]}


@pytest.fixture
def apiserver(pki, tmp_path):
    """HTTPS on 127.0.0.1 that asks for a client certificate signed by the CA (or takes a token)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            peer = self.connection.getpeercert() or {}
            subject = dict(item[0] for item in peer.get("subject", ()))
            seen.append({"path": self.path, "authorization": self.headers.get("authorization"),
                         "user": subject.get("commonName")})
            body = json.dumps({"kind": "NodeList", "items": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    files = tmp_path / "server"
    files.mkdir()
    (files / "ca.pem").write_text(pki["ca"])
    (files / "cert.pem").write_text(pki["server"][0])
    (files / "key.pem").write_text(pki["server"][1])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(files / "cert.pem"), str(files / "key.pem"))
    context.load_verify_locations(str(files / "ca.pem"))
    context.verify_mode = ssl.CERT_OPTIONAL
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    k8s.clear_cache()
    yield {"url": "https://127.0.0.1:%d" % httpd.server_address[1], "seen": seen}
    k8s.clear_cache()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def kubeconfig(tmp_path, server, cluster=None, user=None):
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "site",
           "clusters": [{"name": "c", "cluster": dict({"server": server}, **(cluster or {}))}],
           "users": [{"name": "u", "user": user or {}}],
           "contexts": [{"name": "site", "context": {"cluster": "c", "user": "u"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def private_dirs():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "gpufleet-tls-*")))


def test_inline_certificates_authenticate_and_the_key_does_not_stay_on_disk(pki, apiserver, tmp_path):
    before = private_dirs()
    path = kubeconfig(tmp_path, apiserver["url"], {"certificate-authority-data": b64(pki["ca"])},
                      {"client-certificate-data": b64(pki["user"][0]), "client-key-data": b64(pki["user"][1])})
    assert k8s.get_client(k8s.SiteAuth("lab-eu", path)).list("Node") == []
    assert apiserver["seen"] == [{"path": "/api/v1/nodes", "authorization": None, "user": "gpufleet-operator"}]
    assert private_dirs() == before


def test_files_relative_to_the_kubeconfig_and_a_token_file(pki, apiserver, tmp_path):
    (tmp_path / "ca.pem").write_text(pki["ca"])
    (tmp_path / "token").write_text("s3cret\n")
    path = kubeconfig(tmp_path, apiserver["url"], {"certificate-authority": "ca.pem"}, {"tokenFile": "token"})
    k8s.get_client(k8s.SiteAuth("lab-eu", path)).list("Node", label_selector="a=b")
    assert apiserver["seen"] == [{"path": "/api/v1/nodes?labelSelector=a%3Db", "authorization": "Bearer s3cret",
                                  "user": None}]


def test_a_server_signed_by_another_ca_is_refused(pki, apiserver, tmp_path):
    path = kubeconfig(tmp_path, apiserver["url"], {"certificate-authority-data": b64(pki["other_ca"])},
                      {"token": "s3cret"})
    with pytest.raises(ApiError) as err:
        k8s.get_client(k8s.SiteAuth("lab-eu", path, api_retries=0)).list("Node")
    assert err.value.unreachable and "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    assert apiserver["seen"] == []


def test_a_name_the_certificate_does_not_carry_is_refused_unless_tls_server_name_says(pki, apiserver, tmp_path):
    url = apiserver["url"].replace("127.0.0.1", "localhost")
    ca = {"certificate-authority-data": b64(pki["ca"])}
    with pytest.raises(ApiError, match="localhost"):
        k8s.get_client(k8s.SiteAuth("lab-eu", kubeconfig(tmp_path, url, ca, {"token": "t"}), api_retries=0)).list("Node")
    k8s.clear_cache()
    path = kubeconfig(tmp_path, url, dict(ca, **{"tls-server-name": "127.0.0.1"}), {"token": "t"})
    assert k8s.get_client(k8s.SiteAuth("lab-eu", path)).list("Node") == []


def test_broken_inline_ca_is_a_config_error_naming_it(apiserver, tmp_path):
    path = kubeconfig(tmp_path, apiserver["url"], {"certificate-authority-data": b64("not a certificate")})
    with pytest.raises(ConfigError, match="at site lab-eu: CA bundle \\(inline data\\)"):
        k8s.get_client(k8s.SiteAuth("lab-eu", path)).list("Node")


def test_a_credential_plugin_goes_through_the_official_loader(pki, apiserver, tmp_path):
    """exec: the official client runs the plugin; its token reaches the server."""
    pytest.importorskip("kubernetes", reason="the official client is a dev requirement")
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', "
                      "'kind': 'ExecCredential', 'status': {'token': 'from-exec'}}))\n")
    path = kubeconfig(tmp_path, apiserver["url"], {"certificate-authority-data": b64(pki["ca"])},
                      {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
                                "args": [str(plugin)], "interactiveMode": "Never"}})
    k8s.get_client(k8s.SiteAuth("lab-eu", path)).list("Node")
    assert apiserver["seen"][-1]["authorization"] == "Bearer from-exec"


def test_a_kubeconfig_read_here_does_not_import_the_official_client(pki, apiserver, tmp_path):
    """The point of reading kubeconfigs here: the official client's imports stay off every task."""
    import subprocess

    path = kubeconfig(tmp_path, apiserver["url"], {"certificate-authority-data": b64(pki["ca"])},
                      {"client-certificate-data": b64(pki["user"][0]), "client-key-data": b64(pki["user"][1])})
    code = ("import sys\n"
            "from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import client\n"
            "assert client.get_client(client.SiteAuth('lab-eu', %r)).list('Node') == []\n"
            "print('kubernetes' in sys.modules)\n" % path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert out.stdout.strip() == "False"


def test_the_kubeconfig_read_here_is_the_given_one_else_kubeconfig_else_the_default(monkeypatch, tmp_path):
    from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.kubeconfig import path_to_read

    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "env"))
    assert path_to_read(str(tmp_path / "given")) == str(tmp_path / "given")
    assert path_to_read(None) == str(tmp_path / "env")
    # Several files are merged by the official loader, not read here.
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert path_to_read(None) is None
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert path_to_read(None) == str(tmp_path / ".kube" / "config")
