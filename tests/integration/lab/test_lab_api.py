"""Every site's API server answers over verified TLS, and only with its own CA."""
import ssl
import urllib.request

import pytest
from kubernetes import client

pytestmark = pytest.mark.lab


def test_readyz_over_verified_tls(lab):
    for site in lab.sites:
        api = lab.kube(site)
        assert api.configuration.verify_ssl, f"{site.name}: kubeconfig must verify TLS"
        method, url, headers, _body, _post = api.param_serialize("GET", "/readyz", auth_settings=["BearerToken"])
        resp = api.call_api(method, url, headers)
        body = resp.read()
        assert resp.status == 200 and body == b"ok", f"{site.name}: /readyz -> {resp.status} {body!r}"


def test_api_url_is_the_site_address(lab):
    for site in lab.sites:
        assert site.api_url == f"https://{site.address}:6443"
        assert site.address.startswith("127."), "lab sites live on loopback only"
    assert len({s.address for s in lab.sites}) == len(lab.sites)


def test_server_cert_rejected_under_another_sites_ca(lab):
    """Each site has its own CA: trusting site A's CA must not validate site B's server."""
    if len(lab.sites) < 2:
        pytest.skip("needs two sites")
    a, b = lab.sites[0], lab.sites[1]
    wrong = ssl.create_default_context(cafile=a.ca_file)
    with pytest.raises(urllib.error.URLError) as err:
        urllib.request.urlopen(f"{b.api_url}/readyz", context=wrong, timeout=10)
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)
    right = ssl.create_default_context(cafile=b.ca_file)
    with urllib.request.urlopen(f"{b.api_url}/readyz", context=right, timeout=10) as resp:
        assert resp.read() == b"ok"


def test_server_version_is_pinned(lab):
    for site in lab.sites:
        info = client.VersionApi(lab.kube(site)).get_code()
        assert info.git_version == lab.doc["versions"]["kubernetes"], site.name
