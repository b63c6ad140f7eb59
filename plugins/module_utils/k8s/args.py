# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec for the options documented in the gpufleet.datacenter.k8s_auth doc fragment."""

from __future__ import annotations

import copy
from typing import Any, Dict

AUTH_ARG_SPEC: Dict[str, Dict[str, Any]] = {
    "site": {"type": "str", "required": True},
    "kubeconfig": {"type": "path"},
    "context": {"type": "str"},
    "ca_cert": {"type": "path"},
    "connect_timeout": {"type": "float", "default": 5},
    "read_timeout": {"type": "float", "default": 30},
    "api_retries": {"type": "int", "default": 3},
}


def auth_arg_spec() -> Dict[str, Dict[str, Any]]:
    # A copy: modules extend their spec in place.
    return copy.deepcopy(AUTH_ARG_SPEC)
