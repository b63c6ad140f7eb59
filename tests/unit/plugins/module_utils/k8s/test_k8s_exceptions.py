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


def test_forbidden_names_the_server_refusal_and_where_the_rights_come_from():
    refusal = ('deployments.apps "llm" is forbidden: User "system:serviceaccount:ops:rollout" cannot patch '
               'resource "deployments" in API group "apps" in the namespace "serving" (HTTP 403)')
    e = ApiError("apply", "Deployment serving/llm", "eu-west", refusal, status=403, reason="Forbidden")
    assert str(e).startswith("Failed to apply Deployment serving/llm at site eu-west: " + refusal + "; ")
    assert "playbooks/rbac.yml" in str(e) and "docs/rbac.md" in e.cause


@pytest.mark.parametrize("status", [0, 401, 404, 409, 500])
def test_other_errors_carry_no_rbac_hint(status):
    assert "rbac" not in str(ApiError("apply", "Deployment a/b", "s", "boom", status=status))
