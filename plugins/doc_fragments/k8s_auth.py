# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How a module reaches one site's Kubernetes API (gpufleet.datacenter.k8s_auth)."""

    DOCUMENTATION = r"""
options:
  site:
    description:
      - Name of the site (datacenter) this API server belongs to, usually C(gpufleet_site).
      - Used in every message and returned result, so a failure in a fleet-wide run says where it happened.
    type: str
    required: true
  kubeconfig:
    description:
      - Path to the site's kubeconfig file, usually C(gpufleet_kubeconfig).
      - When omitted, the C(KUBECONFIG) environment variable or C(~/.kube/config) is used.
    type: path
  context:
    description:
      - Context in O(kubeconfig) to use, usually C(gpufleet_kube_context).
      - When omitted, the kubeconfig's current context is used.
    type: str
  ca_cert:
    description:
      - CA bundle used to verify the API server's certificate, instead of the one in the kubeconfig.
      - TLS verification is always on. A kubeconfig whose cluster entry sets C(insecure-skip-tls-verify)
        is refused unless this option names the CA to trust.
    type: path
  connect_timeout:
    description:
      - Seconds to wait for a TCP/TLS connection to the API server, per request.
    type: float
    default: 5
  read_timeout:
    description:
      - Seconds to wait for the API server's answer, per request.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a request is retried, with exponential backoff, after a connection error,
        a read timeout, HTTP 429 or a 5xx answer. V(0) disables retries.
    type: int
    default: 3
requirements:
  - kubernetes >= 30.1.0 (the official Kubernetes Python client)
"""
