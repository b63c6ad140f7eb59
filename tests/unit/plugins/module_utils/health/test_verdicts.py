from __future__ import annotations

import json

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.probes import Probe
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import Response, decode_body
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.verdicts import (
    is_permanent,
    judge,
    served_versions,
    tfserving_states,
)

from health_replay import load

URL = "http://m:8080/x"


def recorded(name: str) -> Response:
    f = load("tfserving/%s" % name)
    return Response(status=f["status"], body=decode_body(f["body"].encode()))


def test_tfserving_status_from_docs_is_available():
    r = recorded("status_all_versions.yml")
    check = judge(Probe("model_status", "GET", "/v1/models/half_plus_three"), URL, r, None)
    assert check.ok is True
    assert check.detail == "123=AVAILABLE"
    assert served_versions("half_plus_three", {"model_status": r}) == ["123"]


def test_tfserving_version_status_matches_expected_version():
    r = recorded("status_one_version.yml")
    assert judge(Probe("version_status", "GET", "/"), URL, r, "123").ok is True
    # The same response does not vouch for another version.
    other = judge(Probe("version_status", "GET", "/"), URL, r, "124")
    assert other.ok is False
    assert "version 124 missing from status response" in other.detail


@pytest.mark.parametrize("name,detail", [
    ("model_not_found.yml", "HTTP 404: Could not find any versions of model nope"),
    ("version_not_found.yml", "HTTP 404: Could not find version 124 of model half_plus_three"),
])
def test_tfserving_not_found_errors_are_reported_verbatim(name, detail):
    check = judge(Probe("model_status", "GET", "/"), URL, recorded(name), None)
    assert (check.ok, check.status, check.detail) == (False, 404, detail)


# States from tensorflow_serving/apis/get_model_status.proto (ModelVersionStatus.State):
# a rollout in progress shows the old version still AVAILABLE and the new one LOADING.
ROLLING = {"model_version_status": [
    {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}},
    {"version": "2", "state": "LOADING", "status": {"error_code": "OK", "error_message": ""}},
]}


def test_tfserving_rollout_in_progress():
    r = Response(status=200, body=ROLLING)
    assert tfserving_states(ROLLING) == {"1": "AVAILABLE", "2": "LOADING"}
    assert served_versions("m", {"model_status": r}) == ["1"]
    check = judge(Probe("version_status", "GET", "/"), URL, r, "2")
    assert (check.ok, check.detail) == (False, "version 2 is LOADING")


@pytest.mark.parametrize("body,ok", [
    (None, True),                              # Triton, MLServer: empty 200
    ({"name": "m", "ready": True}, True),      # KServe: $ready_model_response
    ({"name": "m", "ready": False}, False),
])
def test_v2_model_ready(body, ok):
    assert judge(Probe("model_ready", "GET", "/"), URL, Response(200, body), None).ok is ok


@pytest.mark.parametrize("body,ok", [
    (None, True),
    ({"live": True}, True),
    ({"live": False}, False),
    ({"ready": False}, False),
])
def test_v2_server_health(body, ok):
    assert judge(Probe("server_ready", "GET", "/"), URL, Response(200, body), None).ok is ok


def test_v2_metadata_must_be_a_model_metadata_object():
    bad = judge(Probe("model_metadata", "GET", "/"), URL, Response(200, "<html>login</html>"), None)
    assert bad.ok is False and "not a model metadata object" in bad.detail


def test_served_versions_merge_metadata_and_repository_index():
    responses = {
        # Open Inference Protocol $metadata_model_response with its optional versions list.
        "model_metadata": Response(200, {"name": "m", "versions": ["1", "2"], "platform": "", "inputs": [], "outputs": []}),
        "repository_index": Response(200, [
            {"name": "m", "version": "3", "state": "READY", "reason": ""},
            {"name": "m", "version": "4", "state": "UNAVAILABLE", "reason": "unloaded"},
            {"name": "other", "version": "9", "state": "READY", "reason": ""},
        ]),
    }
    assert served_versions("m", responses) == ["1", "2", "3"]


def test_error_responses_and_connection_errors():
    http = judge(Probe("model_ready", "GET", "/"), URL, Response(503, "upstream connect error"), None)
    assert (http.ok, http.status, http.detail) == (False, 503, "HTTP 503: upstream connect error")
    down = judge(Probe("server_live", "GET", "/"), URL, Response(None, error="[Errno 111] Connection refused", error_kind="connect"), None)
    assert (down.ok, down.status, down.detail) == (False, None, "connect error: [Errno 111] Connection refused")


@pytest.mark.parametrize("response,permanent", [
    (Response(401, {"error": "unauthorized"}), True),
    (Response(403, None), True),
    (Response(None, error="certificate verify failed", error_kind="tls"), True),
    (Response(None, error="http://m is plain http off loopback", error_kind="insecure"), True),
    (Response(404, None), False),
    (Response(503, None), False),
    (Response(None, error="refused", error_kind="connect"), False),
])
def test_permanent_failures(response, permanent):
    assert is_permanent(response) is permanent


def test_long_bodies_are_shortened_in_details():
    body = json.dumps({"x": "y" * 1000})
    check = judge(Probe("model_ready", "GET", "/"), URL, Response(500, body), None)
    assert len(check.detail) < 330 and check.detail.endswith("...")
