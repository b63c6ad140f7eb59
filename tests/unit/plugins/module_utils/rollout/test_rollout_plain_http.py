"""https for model endpoints and Prometheus unless on loopback or explicitly allowed: the release
check names the field and the setting that allows it; the gates refuse before sending anything."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import Response
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.gates import (
    GateFailed, endpoint_gate, prometheus_gate)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import (
    resolve_site, validate_release)


def problems(load_release, sites, health=None, site_endpoint=None, prometheus=None):
    data = load_release("valid.yml")
    chat = data["models"][0]
    if health is not None:
        chat["health"] = health
    if site_endpoint is not None:
        chat["sites"]["apac"]["endpoint"] = site_endpoint
    if prometheus is not None:
        data["policy"]["prometheus"] = dict({"query": "up", "max": 1}, **prometheus)
    return validate_release(data, sites)["problems"]


@pytest.mark.parametrize("endpoint", ["https://chat.example.com", "http://127.0.0.1:8080", "http://localhost:9000"])
def test_https_and_loopback_endpoints_need_no_opt_in(load_release, sites, endpoint):
    assert problems(load_release, sites, health={"endpoint": endpoint}) == []


def test_plain_http_endpoint_is_refused_naming_the_setting(load_release, sites):
    found = problems(load_release, sites, health={"endpoint": "http://chat.example.com"})
    assert len(found) == 1
    assert found[0].startswith("models[0].health.endpoint, model chat-llm: http://chat.example.com is plain http")
    assert "models[0].health.allow_http: true" in found[0]


def test_allow_http_lets_the_endpoint_and_its_site_overrides_through(load_release, sites):
    health = {"endpoint": "http://chat.example.com", "allow_http": True}
    assert problems(load_release, sites, health=health, site_endpoint="http://chat.apac.example.com") == []


def test_site_endpoint_override_follows_the_model_setting(load_release, sites):
    found = problems(load_release, sites, health={"endpoint": "https://chat.example.com"},
                     site_endpoint="http://chat.apac.example.com")
    assert len(found) == 1 and "model chat-llm, site apac: http://chat.apac.example.com is plain http" in found[0]


def test_allow_http_reaches_the_resolved_model(load_release, sites):
    data = load_release("valid.yml")
    data["models"][0]["health"] = {"endpoint": "http://chat.example.com", "allow_http": True}
    release = validate_release(data, sites)
    assert resolve_site(release, "eu", sites["eu"])[0]["health"]["allow_http"] is True


def test_allow_http_must_be_a_boolean(load_release, sites):
    found = problems(load_release, sites, health={"endpoint": "https://chat.example.com", "allow_http": "yes"})
    assert found == ["models[0].health.allow_http, model chat-llm: must be true or false, got 'yes'"]


def test_prometheus_url(load_release, sites):
    assert problems(load_release, sites, prometheus={"url": "https://prom.example.com"}) == []
    assert problems(load_release, sites, prometheus={"url": "http://127.0.0.1:9090"}) == []
    assert problems(load_release, sites, prometheus={"url": "http://prom.example.com", "allow_http": True}) == []
    found = problems(load_release, sites, prometheus={"url": "http://prom.example.com"})
    assert len(found) == 1 and found[0].startswith("policy.prometheus.url: http://prom.example.com is plain http")
    assert "policy.prometheus.allow_http: true" in found[0]


def never(*args):
    raise AssertionError("no request may be sent")


def chat(health):
    return {"name": "chat", "version": "1.0.0", "health": health}


def test_endpoint_gate_refuses_plain_http_before_any_request():
    with pytest.raises(GateFailed) as e:
        endpoint_gate("eu", [chat({"endpoint": "http://chat.example.com"})], 30, 1e12, requester=never)
    assert "model chat: http://chat.example.com is plain http" in e.value.cause
    assert "health.allow_http: true" in e.value.cause


def test_endpoint_gate_passes_the_opt_in_to_the_transport():
    seen = []

    def ready(method, url, options, body):
        seen.append(options.allow_http)
        # An Open Inference V2 server that serves chat 1.0.0: ready everywhere, metadata naming it.
        return Response(status=200, body={"name": "chat", "versions": ["1.0.0"], "ready": True})

    health = {"endpoint": "http://chat.example.com", "allow_http": True, "timeout": 1}
    result = endpoint_gate("eu", [chat(health)], 1, 1e12, requester=ready, sleep=lambda s: None)
    assert result == {"name": "endpoint", "ok": True, "detail": "chat 1.0.0"}
    assert seen and set(seen) == {True}


def test_prometheus_gate_refuses_a_plain_http_site_url_without_the_opt_in():
    rule = {"query": "up", "max": 1}
    with pytest.raises(GateFailed) as e:
        prometheus_gate("eu", rule, "http://prom.eu.example.com", 1e12, requester=never)
    assert "http://prom.eu.example.com is plain http" in e.value.cause
    assert "policy.prometheus.allow_http: true" in e.value.cause


def test_prometheus_gate_with_the_opt_in_queries():
    asked = []

    def answer(method, url, options, body):
        asked.append((url, options.allow_http))
        return Response(status=200, body={"status": "success", "data": {"resultType": "vector",
                                                                        "result": [{"value": [0, "0.5"]}]}})

    result = prometheus_gate("eu", {"query": "up", "max": 1, "allow_http": True}, "http://prom.eu.example.com",
                             1e12, requester=answer)
    assert result["ok"] is True
    assert asked[0][0].startswith("http://prom.eu.example.com/api/v1/query?") and asked[0][1] is True


def test_a_sites_plain_http_prometheus_is_refused_before_the_rollout_not_at_its_gate(load_release, sites):
    sites["us"]["prometheus_url"] = "http://10.52.0.11:9090"
    sites["eu"]["prometheus_url"] = "https://prometheus.eu.example.com"
    found = problems(load_release, sites, prometheus={})
    assert len(found) == 1 and found[0].startswith("policy.prometheus (gpufleet_prometheus_url), site us: ")
    assert "policy.prometheus.allow_http: true" in found[0]
    assert problems(load_release, sites, prometheus={"allow_http": True}) == []
    assert problems(load_release, sites, prometheus={"url": "https://central.example.com"}) == []
