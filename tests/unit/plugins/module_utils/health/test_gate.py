from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.errors import HealthCheckError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.gate import GateSpec, run_gate
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.retry import RetryPolicy
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import Response, TransportOptions

from health_replay import Replay, load, tfserving

OPTS = TransportOptions()
URL = "http://10.10.0.20:8080"


class Clock:
    """Time that only moves when the gate sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def gate(replay, model, version, protocol="v2", policy=RetryPolicy(), clock=None):
    clock = clock or Clock()
    spec = GateSpec(site="eu-west", url=URL, protocol=protocol, model=model, version=version)
    return run_gate(spec, OPTS, policy, requester=replay, clock=clock, sleep=clock.sleep)


def mlserver():
    return Replay(load("mlserver/echo_v1.2.0.yml"))


def test_mlserver_recording_passes_at_served_version():
    replay = mlserver()
    result = gate(replay, "echo", "v1.2.0")
    assert result["healthy"] is True
    assert result["served_versions"] == ["v1.2.0"]
    assert result["msg"] == "model echo version v1.2.0 is ready at %s" % URL
    assert ("GET", "/v2/models/echo/versions/v1.2.0/ready") in replay.calls


def test_mlserver_recording_fails_at_other_version_with_expected_and_served():
    with pytest.raises(HealthCheckError) as err:
        gate(mlserver(), "echo", "v9")
    assert str(err.value) == (
        "Failed to verify model echo version v9 at site eu-west: expected version v9 of model echo is not served by "
        "%s (served versions: v1.2.0); version_ready %s/v2/models/echo/versions/v9/ready: "
        "HTTP 404: Model echo with version v9 not found (after 1 attempt in 0.0s)" % (URL, URL)
    )
    assert err.value.result["served_versions"] == ["v1.2.0"]


def test_versioned_ready_is_not_trusted_when_the_server_lists_other_versions():
    # A server whose versioned route answers 200 for any version, but whose index says otherwise.
    recorded = load("mlserver/echo_v1.2.0.yml")
    recorded["GET /v2/models/echo/versions/v2/ready"] = {"status": 200, "body": ""}
    recorded["GET /v2/models/echo/versions/v2"] = recorded["GET /v2/models/echo"]
    with pytest.raises(HealthCheckError) as err:
        gate(Replay(recorded), "echo", "v2")
    assert "version_served" in str(err.value)
    assert "expected v2, served v1.2.0" in str(err.value)


def test_tfserving_recordings_pass_and_fail():
    replay = Replay(tfserving("status_all_versions.yml", "version_not_found.yml"))
    replay.recorded["GET /v1/models/half_plus_three/versions/123"] = replay.recorded["GET /v1/models/half_plus_three"]
    assert gate(replay, "half_plus_three", "123", protocol="tfserving")["served_versions"] == ["123"]
    with pytest.raises(HealthCheckError) as err:
        gate(replay, "half_plus_three", "124", protocol="tfserving")
    assert "expected version 124 of model half_plus_three is not served by %s (served versions: 123)" % URL in str(err.value)
    assert "Could not find version 124 of model half_plus_three" in str(err.value)


def test_retries_until_the_new_version_is_ready():
    # Attempt 1 and 2: the server still loads v2; attempt 3: it serves it.
    class Rolling(Replay):
        def __call__(self, method, url, options, body=None):
            if url.endswith("/v2/health/live"):
                self.attempt = getattr(self, "attempt", 0) + 1
            if self.attempt < 3 and "/versions/v1.2.0" in url:
                return Response(404, {"error": "Model echo with version v1.2.0 not found"})
            return super().__call__(method, url, options, body)

    clock = Clock()
    result = gate(Rolling(load("mlserver/echo_v1.2.0.yml")), "echo", "v1.2.0", policy=RetryPolicy(retries=5, delay=2), clock=clock)
    assert result["healthy"] is True
    assert result["attempts"] == 3
    assert clock.sleeps == [2, 2]
    assert result["elapsed"] == 4


def test_unreachable_server_stops_after_first_probe_each_attempt():
    calls = []

    def refused(method, url, options, body=None):
        calls.append(url)
        return Response(None, error="[Errno 111] Connection refused", error_kind="connect")

    clock = Clock()
    with pytest.raises(HealthCheckError) as err:
        gate(refused, "echo", None, policy=RetryPolicy(delay=5, wait_timeout=12), clock=clock)
    assert calls == [URL + "/v2/health/live"] * 4      # at 0, 5, 10 and the last one at 12
    assert clock.sleeps == [5, 5, 2]
    assert str(err.value).startswith("Failed to verify model echo at site eu-west: model server %s is unreachable" % URL)
    assert err.value.result["attempts"] == 4


def test_unauthorized_is_not_retried():
    def denied(method, url, options, body=None):
        return Response(401, {"error": "missing bearer token"})

    with pytest.raises(HealthCheckError) as err:
        gate(denied, "echo", None, policy=RetryPolicy(retries=10, delay=1))
    assert err.value.result["attempts"] == 1
    assert "HTTP 401: missing bearer token" in str(err.value)
