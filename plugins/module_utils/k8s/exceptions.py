# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Project exceptions for the Kubernetes module_utils.

Every message reads `Failed to <verb> <object> at site <site>: <cause>` so that a
failure in a 40-site rollout says where it happened without reading a traceback.
"""

from __future__ import annotations

from typing import Any, Dict, Optional


FORBIDDEN_HINT = ("the kubeconfig's user lacks this right: playbooks/rbac.yml of gpufleet.datacenter grants "
                  "what the modules need (docs/rbac.md)")


class K8sError(Exception):
    """Base class: a failed action on one object at one site."""

    def __init__(self, verb: str, obj: str, site: str, cause: str, result: Optional[Dict[str, Any]] = None):
        self.verb = verb
        self.obj = obj
        self.site = site
        self.cause = cause
        # Partial result so the module can return what was already done.
        self.result = result or {}
        super().__init__("Failed to %s %s at site %s: %s" % (verb, obj, site, cause))


class ConfigError(K8sError):
    """Bad client configuration: kubeconfig, context, CA, TLS settings."""


class PolicyError(K8sError):
    """Input refused by a policy (image tag, digest, argument combination)."""


class ApiError(K8sError):
    """The API server answered with an error or could not be reached."""

    def __init__(self, verb: str, obj: str, site: str, cause: str, status: int = 0,
                 reason: str = "", result: Optional[Dict[str, Any]] = None):
        # status 0 means no HTTP answer at all (connection refused, TLS, timeout).
        self.status = status
        self.reason = reason
        if status == 403:
            # The server's message names the user, verb and resource; say where the fix lives.
            cause += "; %s" % FORBIDDEN_HINT
        super().__init__(verb, obj, site, cause, result)

    @property
    def unreachable(self) -> bool:
        return self.status == 0


class DeploymentStuck(K8sError):
    """A rollout did not complete; carries the diagnosis in result['diagnosis']."""
