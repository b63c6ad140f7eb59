from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import (
    ApiError,
    ConfigError,
    K8sError,
    PolicyError,
    DeploymentStuck,
)


@pytest.mark.parametrize("cls", [K8sError, ConfigError, PolicyError, DeploymentStuck])
def test_message_names_verb_object_site_cause(cls):
    e = cls("roll out", "Deployment serving/llm", "eu-west", "it broke", result={"x": 1})
    assert str(e) == "Failed to roll out Deployment serving/llm at site eu-west: it broke"
    assert e.site == "eu-west" and e.result == {"x": 1}
    assert isinstance(e, K8sError)


@pytest.mark.parametrize("status, unreachable", [(0, True), (404, False), (503, False)])
def test_api_error_unreachable(status, unreachable):
    assert ApiError("read", "Deployment a/b", "s", "c", status=status).unreachable is unreachable
