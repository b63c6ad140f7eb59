from __future__ import annotations

import base64
import json
import socket
import time
from unittest.mock import Mock

import pytest
import urllib3
import yaml

from test_k8s_transport import issue

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import client as k8s
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError, ConfigError

# Any PEM-looking bytes do: the loader decodes them, TLS parses them only on the first request.
FAKE_PEM = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="


def write_kubeconfig(tmp_path, server="https://127.0.0.1:6443", insecure=False, name="kubeconfig"):
    cluster = {"server": server}
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    else:
        cluster["certificate-authority-data"] = FAKE_PEM
    doc = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "a", "cluster": cluster}, {"name": "b", "cluster": dict(cluster, server=server + "1")}],
        "users": [{"name": "u", "user": {"token": "t0ken"}}],
        "contexts": [{"name": "site-a", "context": {"cluster": "a", "user": "u"}},
                     {"name": "site-b", "context": {"cluster": "b", "user": "u"}}],
        "current-context": "site-a",
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.fixture(autouse=True)
def empty_cache():
    k8s.clear_cache()
    yield
    k8s.clear_cache()


def test_site_auth_from_params_normalises(tmp_path):
    path = write_kubeconfig(tmp_path)
    auth = k8s.SiteAuth.from_params("eu-west", {"kubeconfig": str(tmp_path / "." / "kubeconfig"), "context": "",
                                                "connect_timeout": 2, "read_timeout": None, "api_retries": 0})
    assert auth == k8s.SiteAuth("eu-west", path, connect_timeout=2.0, read_timeout=30.0, api_retries=0)


@pytest.mark.parametrize("context, host", [(None, "https://127.0.0.1:6443"), ("site-b", "https://127.0.0.1:64431")])
def test_context_selects_cluster_and_tls_is_on(tmp_path, context, host):
    cfg = k8s.build_configuration(k8s.SiteAuth("lab-a", write_kubeconfig(tmp_path), context))
    assert cfg.host == host
    assert cfg.verify_ssl is True and cfg.ca_data.startswith("-----BEGIN CERTIFICATE-----")
    assert cfg.auth_headers() == {"authorization": "Bearer t0ken"}
    assert cfg.retries.total == 3


def test_insecure_kubeconfig_refused_without_ca(tmp_path):
    auth = k8s.SiteAuth("eu-west", write_kubeconfig(tmp_path, insecure=True))
    with pytest.raises(ConfigError) as err:
        k8s.build_configuration(auth)
    message = str(err.value)
    assert "at site eu-west" in message and "insecure-skip-tls-verify" in message and "ca_cert" in message


def test_ca_cert_overrides_and_restores_verification(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("pem")
    cfg = k8s.build_configuration(k8s.SiteAuth("eu-west", write_kubeconfig(tmp_path, insecure=True), ca_cert=str(ca)))
    assert cfg.verify_ssl is True and cfg.ssl_ca_cert == str(ca)


@pytest.mark.parametrize("kubeconfig, context, fragment", [
    ("missing", None, "kubeconfig"),
    ("ok", "nope", "context nope"),
])
def test_config_errors_name_the_file_or_context(tmp_path, kubeconfig, context, fragment):
    path = write_kubeconfig(tmp_path) if kubeconfig == "ok" else str(tmp_path / "missing")
    with pytest.raises(ConfigError) as err:
        k8s.build_configuration(k8s.SiteAuth("eu-west", path, context))
    assert fragment in str(err.value) and "at site eu-west" in str(err.value)


def test_missing_ca_file(tmp_path):
    with pytest.raises(ConfigError, match="CA bundle .* file not found"):
        k8s.build_configuration(k8s.SiteAuth("s", write_kubeconfig(tmp_path), ca_cert=str(tmp_path / "nope")))


def test_retry_policy_bounded_with_backoff_on_throttling_and_5xx():
    retry = k8s.retry_policy(4)
    assert (retry.total, retry.connect, retry.read, retry.status) == (4, 4, 4, 4)
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.allowed_methods is None, "apply and delete are idempotent: retry them too"
    assert retry.raise_on_status is False and retry.respect_retry_after_header is True
    assert retry.backoff_factor > 0 and retry.backoff_max <= 10
    assert k8s.retry_policy(0).total == 0


def test_client_cache_per_kubeconfig_and_context(tmp_path):
    path = write_kubeconfig(tmp_path)
    a1 = k8s.get_client(k8s.SiteAuth("lab-a", path, "site-a"))
    a2 = k8s.get_client(k8s.SiteAuth("lab-a", path, "site-a"))
    b = k8s.get_client(k8s.SiteAuth("lab-a", path, "site-b"))
    assert a1 is a2 and a1 is not b
    assert a1.timeout == (5.0, 30.0)


@pytest.mark.parametrize("kind, name, namespace, expected", [
    ("Deployment", "llm", "serving", "Deployment serving/llm"),
    ("Pod", None, "serving", "Pods in namespace serving"),
    ("Namespace", "serving", None, "Namespace serving"),
    ("Node", None, None, "Nodes"),
])
def test_object_ref(kind, name, namespace, expected):
    assert k8s.object_ref(kind, name, namespace) == expected


class Response:
    """What urllib3's request returns, reduced to what the client reads."""

    def __init__(self, status, doc=None):
        self.status = status
        self.reason = "Reason"
        self.data = json.dumps(doc).encode() if doc is not None else b""
        self.headers = {}


def on_the_wire(client, *responses):
    """The client's real transport (URL, headers, credentials, timeouts) over a mocked connection pool."""
    client.transport._pool = Mock(request=Mock(side_effect=list(responses)))
    return client.transport._pool.request


def recording_client(tmp_path, *responses):
    auth = k8s.SiteAuth("eu-west", write_kubeconfig(tmp_path), connect_timeout=1, read_timeout=2)
    client = k8s.get_client(auth)
    on_the_wire(client, *responses)
    return client


def sent(client):
    """(method, url, headers, body, timeout) of the last request."""
    call = client.transport._pool.request.call_args
    body = call.kwargs["body"]
    timeout = call.kwargs["timeout"]
    return (call.args[0], call.args[1], call.kwargs["headers"], json.loads(body) if body else None,
            (timeout.connect_timeout, timeout.read_timeout))


def test_get_builds_url_auth_and_timeouts(tmp_path):
    client = recording_client(tmp_path, Response(200, {"kind": "Deployment"}))
    assert client.get("Deployment", "llm", "serving") == {"kind": "Deployment"}
    method, url, headers, body, timeout = sent(client)
    assert (method, url, body) == ("GET", "https://127.0.0.1:6443/apis/apps/v1/namespaces/serving/deployments/llm", None)
    assert headers["authorization"] == "Bearer t0ken" and headers["Accept"] == "application/json"
    assert timeout == (1.0, 2.0)


def test_apply_is_server_side_apply(tmp_path):
    client = recording_client(tmp_path, Response(200, {"kind": "Deployment"}))
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "llm", "namespace": "serving"}}
    client.apply(manifest, "gpufleet.datacenter", force=True, dry_run=True)
    method, url, headers, body, _timeout = sent(client)
    assert method == "PATCH"
    assert url.endswith("/apis/apps/v1/namespaces/serving/deployments/llm"
                        "?fieldManager=gpufleet.datacenter&force=true&dryRun=All")
    assert headers["Content-Type"] == "application/apply-patch+yaml" and body == manifest


@pytest.mark.parametrize("call, url", [
    (lambda c: c.list("Pod", "serving", label_selector="a=b,c=d"), "/api/v1/namespaces/serving/pods?labelSelector=a%3Db%2Cc%3Dd"),
    (lambda c: c.list("Node"), "/api/v1/nodes"),
    # no namespace: the cluster-wide list preflight counts GPUs with
    (lambda c: c.list("Pod", field_selector="status.phase!=Failed"), "/api/v1/pods?fieldSelector=status.phase%21%3DFailed"),
    (lambda c: c.get("Namespace", "serving"), "/api/v1/namespaces/serving"),
    (lambda c: c.delete("Service", "llm", "serving"), "/api/v1/namespaces/serving/services/llm?propagationPolicy=Background"),
])
def test_paths(tmp_path, call, url):
    client = recording_client(tmp_path, Response(200, {"items": []}))
    call(client)
    assert sent(client)[1] == "https://127.0.0.1:6443" + url


def test_not_found_is_none_or_false(tmp_path):
    client = recording_client(tmp_path, Response(404, {"kind": "Status", "message": "not found"}), Response(404))
    assert client.get("Deployment", "llm", "serving") is None
    assert client.delete("Service", "llm", "serving") is False


def test_api_error_carries_server_message_and_site(tmp_path):
    message = 'Deployment.apps "llm" is invalid: spec.replicas: Invalid value: -1'
    client = recording_client(tmp_path, Response(422, {"kind": "Status", "message": message}))
    manifest = {"kind": "Deployment", "metadata": {"name": "llm", "namespace": "serving"}}
    with pytest.raises(ApiError) as err:
        client.apply(manifest, "gpufleet.datacenter", dry_run=True)
    assert str(err.value) == ("Failed to dry-run apply Deployment serving/llm at site eu-west: %s (HTTP 422)" % message)
    assert err.value.status == 422 and not err.value.unreachable


def test_error_without_status_body(tmp_path):
    client = recording_client(tmp_path, Response(503))
    with pytest.raises(ApiError, match="HTTP 503 Reason"):
        client.list("Pod", "serving")


def test_connection_error_is_unreachable(tmp_path):
    cause = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    client = recording_client(tmp_path, urllib3.exceptions.MaxRetryError(None, "/api", cause))
    with pytest.raises(ApiError) as err:
        client.list("Pod", "serving")
    assert err.value.unreachable and "API server unreachable: Connection refused" in str(err.value)


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_refused_connection_retries_then_fails_fast(tmp_path):
    # A closed loopback port: real urllib3 behaviour, bounded retries with backoff, no server needed.
    path = write_kubeconfig(tmp_path, server="https://127.0.0.1:%d" % free_loopback_port())
    doc = yaml.safe_load(open(path))
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(issue("ca", ca=True)[2].encode()).decode()
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    client = k8s.get_client(k8s.SiteAuth("eu-west", path, api_retries=2, connect_timeout=1))
    started = time.monotonic()
    with pytest.raises(ApiError) as err:
        client.get("Deployment", "llm", "serving")
    elapsed = time.monotonic() - started
    assert err.value.unreachable and "at site eu-west" in str(err.value)
    assert "Connection refused" in str(err.value)
    # backoff 0.5 * 2**n between the 3 attempts: well under what an unbounded retry would take.
    assert elapsed < 10


def sent_request(auth):
    """(url, headers) of one GET through the client built from auth; only the connection pool is mocked."""
    client = k8s.get_client(auth)
    on_the_wire(client, Response(200, {"items": []}))
    client.list("Node")
    _method, url, headers, _body, _timeout = sent(client)
    return url, headers


def test_host_and_api_key_stand_alone_without_a_kubeconfig(tmp_path, monkeypatch):
    # A broken default kubeconfig proves it is not read.
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    ca = tmp_path / "ca.pem"
    ca.write_text("ca")
    auth = k8s.SiteAuth.from_params("eu-west", {"host": "https://10.0.0.1:6443/", "api_key": "s3cret",
                                                "ca_cert": str(ca)})
    assert auth.standalone()
    cfg = k8s.build_configuration(auth)
    assert (cfg.host, cfg.ssl_ca_cert, cfg.verify_ssl) == ("https://10.0.0.1:6443", str(ca), True)
    url, headers = sent_request(auth)
    assert url == "https://10.0.0.1:6443/api/v1/nodes" and headers["authorization"] == "Bearer s3cret"


def test_options_override_the_kubeconfig(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("c")
    key.write_text("k")
    auth = k8s.SiteAuth.from_params("eu-west", {
        "kubeconfig": write_kubeconfig(tmp_path), "host": "https://10.0.0.2:6443", "api_key": "other",
        "client_cert": str(cert), "client_key": str(key), "proxy": "http://127.0.0.1:3128"})
    assert not auth.standalone()  # a kubeconfig given is always read
    cfg = k8s.build_configuration(auth)
    assert (cfg.cert_file, cfg.key_file, cfg.proxy) == (str(cert), str(key), "http://127.0.0.1:3128")
    assert cfg.verify_ssl is True
    url, headers = sent_request(auth)
    # The kubeconfig's own token (t0ken) is replaced, not sent beside ours.
    assert url.startswith("https://10.0.0.2:6443/") and headers["authorization"] == "Bearer other"


def test_client_certificate_and_host_stand_alone():
    auth = k8s.SiteAuth("s", host="https://h:6443", client_cert="/c", client_key="/k")
    assert auth.standalone()
    assert not k8s.SiteAuth("s", host="https://h:6443").standalone()
    assert not k8s.SiteAuth("s", host="https://h:6443", client_cert="/c").standalone()


@pytest.mark.parametrize("option, what", [("client_cert", "client certificate"), ("client_key", "client key"),
                                          ("ca_cert", "CA bundle")])
def test_missing_credential_file_is_named(tmp_path, option, what):
    auth = k8s.SiteAuth.from_params("s", {"kubeconfig": write_kubeconfig(tmp_path), option: str(tmp_path / "nope")})
    with pytest.raises(ConfigError, match="load %s .*nope at site s: file not found" % what):
        k8s.build_configuration(auth)


def test_api_key_never_in_repr():
    auth = k8s.SiteAuth("s", host="https://h", api_key="s3cret")
    assert "s3cret" not in repr(auth) and "https://h" in repr(auth)


def test_insecure_kubeconfig_still_refused_when_host_overrides(tmp_path):
    auth = k8s.SiteAuth("s", write_kubeconfig(tmp_path, insecure=True), host="https://10.0.0.3:6443")
    with pytest.raises(ConfigError, match="insecure-skip-tls-verify"):
        k8s.build_configuration(auth)
