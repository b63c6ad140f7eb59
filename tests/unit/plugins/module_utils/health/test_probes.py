from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.probes import join_url, probes_for


def paths(protocol, model, version):
    return [(p.method, p.path, p.required) for p in probes_for(protocol, model, version)]


def test_v2_without_version_probes_server_and_model():
    assert paths("v2", "ranker", None) == [
        ("GET", "/v2/health/live", True),
        ("GET", "/v2/health/ready", True),
        ("GET", "/v2/models/ranker/ready", True),
        ("GET", "/v2/models/ranker", True),
        ("POST", "/v2/repository/index", False),
    ]


def test_v2_with_version_adds_versioned_ready_and_metadata():
    got = paths("v2", "ranker", "2024-06-01")
    assert ("GET", "/v2/models/ranker/versions/2024-06-01/ready", True) in got
    assert ("GET", "/v2/models/ranker/versions/2024-06-01", True) in got


def test_tfserving_probes_status_and_version_status():
    assert paths("tfserving", "half_plus_two", "3") == [
        ("GET", "/v1/models/half_plus_two", True),
        ("GET", "/v1/models/half_plus_two/versions/3", True),
    ]


@pytest.mark.parametrize("model,version,expected", [
    ("a/b", None, "/v2/models/a%2Fb/ready"),
    ("m", "1.0/../x", "/v2/models/m/versions/1.0%2F..%2Fx/ready"),
    ("m m", "v 1", "/v2/models/m%20m/versions/v%201/ready"),
])
def test_names_and_versions_cannot_escape_their_path_segment(model, version, expected):
    assert expected in [p.path for p in probes_for("v2", model, version)]


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="unknown protocol 'grpc'"):
        probes_for("grpc", "m", None)


@pytest.mark.parametrize("base,expected", [
    ("http://h:8080", "http://h:8080/v2/health/live"),
    ("http://h:8080/", "http://h:8080/v2/health/live"),
    ("https://gw.example.com/serving/eu/", "https://gw.example.com/serving/eu/v2/health/live"),
])
def test_join_url_keeps_a_path_prefix(base, expected):
    assert join_url(base, "/v2/health/live") == expected
