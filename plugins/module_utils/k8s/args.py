# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec for the options documented in the gpufleet.datacenter.k8s_auth doc fragment.

Names, aliases and K8S_AUTH_* environment variables are kubernetes.core's wherever an option
means the same thing, so one module_defaults block or one environment serves both collections.
"""

from __future__ import annotations

import copy
from typing import Any, Dict

from ansible.module_utils.basic import env_fallback

# How to reach and authenticate to one API server. kubernetes.core reads K8S_AUTH_<option> and
# K8S_AUTH_<kubernetes client name>; both spellings are accepted, the documented one first.
CREDENTIALS_ARG_SPEC: Dict[str, Dict[str, Any]] = {
    "kubeconfig": {"type": "path", "fallback": (env_fallback, ["K8S_AUTH_KUBECONFIG"])},
    "context": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_CONTEXT"])},
    "host": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_HOST"])},
    "api_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["K8S_AUTH_API_KEY"])},
    "ca_cert": {"type": "path", "aliases": ["ssl_ca_cert"],
                "fallback": (env_fallback, ["K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_CA_CERT"])},
    "client_cert": {"type": "path", "aliases": ["cert_file"],
                    "fallback": (env_fallback, ["K8S_AUTH_CERT_FILE", "K8S_AUTH_CLIENT_CERT"])},
    "client_key": {"type": "path", "aliases": ["key_file"],
                   "fallback": (env_fallback, ["K8S_AUTH_KEY_FILE", "K8S_AUTH_CLIENT_KEY"])},
    "proxy": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_PROXY"])},
}

# Per-request limits, the same for every site module.
TIMEOUTS_ARG_SPEC: Dict[str, Dict[str, Any]] = {
    "connect_timeout": {"type": "float", "default": 5},
    "read_timeout": {"type": "float", "default": 30},
    "api_retries": {"type": "int", "default": 3},
}

AUTH_ARG_SPEC: Dict[str, Dict[str, Any]] = dict(
    {"site": {"type": "str", "required": True}}, **CREDENTIALS_ARG_SPEC, **TIMEOUTS_ARG_SPEC)

# Options a `module_defaults` for the `group/gpufleet.datacenter.k8s` action group may set: every
# member accepts them (`site` names one site, so it is a task's own).
GROUP_OPTIONS = tuple(sorted(set(CREDENTIALS_ARG_SPEC) | set(TIMEOUTS_ARG_SPEC)))


def auth_arg_spec() -> Dict[str, Dict[str, Any]]:
    # A copy: modules extend their spec in place.
    return copy.deepcopy(AUTH_ARG_SPEC)


def credentials_arg_spec(env: bool = True) -> Dict[str, Dict[str, Any]]:
    """The credential options alone; without the environment fallbacks for per-entry suboptions,
    where an environment value would override the module's own top-level option."""
    spec = copy.deepcopy(CREDENTIALS_ARG_SPEC)
    if not env:
        for option in spec.values():
            option.pop("fallback", None)
    return spec
