# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


# The option names, aliases and K8S_AUTH_* variables are kubernetes.core's where they mean the
# same, so a play's module_defaults or environment serves both collections. Both fragments are
# literal strings (ansible-test's yamllint reads them without running this file); the credential
# options are written twice, and tests/unit/.../test_k8s_args.py holds both to the argument spec.


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
      - When omitted, the E(K8S_AUTH_KUBECONFIG) environment variable, then E(KUBECONFIG) or C(~/.kube/config).
      - Not read when O(host) comes with O(api_key) or with O(client_cert) and O(client_key), and neither this
        nor O(context) is given.
    type: path
  context:
    description:
      - Context in the kubeconfig to use, usually C(gpufleet_kube_context).
      - When omitted, E(K8S_AUTH_CONTEXT), then the kubeconfig's current context.
    type: str
  host:
    description:
      - URL of the API server, for example C(https://10.10.0.10:6443), instead of the kubeconfig's.
      - When omitted, E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - Bearer token to authenticate with, instead of the kubeconfig's credentials.
      - When omitted, E(K8S_AUTH_API_KEY).
    type: str
  ca_cert:
    description:
      - CA bundle used to verify the API server's certificate, usually C(gpufleet_kube_ca_cert), instead of
        the one in the kubeconfig. When omitted, E(K8S_AUTH_SSL_CA_CERT).
      - TLS verification is always on. A kubeconfig whose cluster entry sets C(insecure-skip-tls-verify)
        is refused unless this option names the CA to trust.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Client certificate to authenticate with. When omitted, E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Key of O(client_cert). When omitted, E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  proxy:
    description:
      - HTTP proxy URL to reach the API server through. When omitted, E(K8S_AUTH_PROXY).
    type: str

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
  - urllib3 >= 2.0.0
  - kubernetes >= 37.0.0 (the official Kubernetes Python client), only for a kubeconfig whose user runs a
    credential plugin (exec, auth-provider) or a KUBECONFIG listing several files
"""

    # The credential options alone (gpufleet.datacenter.k8s_auth.credentials), for a module that
    # reaches many sites and documents its own timeouts.
    CREDENTIALS = r"""
options:
  kubeconfig:
    description:
      - Path to the site's kubeconfig file, usually C(gpufleet_kubeconfig).
      - When omitted, the E(K8S_AUTH_KUBECONFIG) environment variable, then E(KUBECONFIG) or C(~/.kube/config).
      - Not read when O(host) comes with O(api_key) or with O(client_cert) and O(client_key), and neither this
        nor O(context) is given.
    type: path
  context:
    description:
      - Context in the kubeconfig to use, usually C(gpufleet_kube_context).
      - When omitted, E(K8S_AUTH_CONTEXT), then the kubeconfig's current context.
    type: str
  host:
    description:
      - URL of the API server, for example C(https://10.10.0.10:6443), instead of the kubeconfig's.
      - When omitted, E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - Bearer token to authenticate with, instead of the kubeconfig's credentials.
      - When omitted, E(K8S_AUTH_API_KEY).
    type: str
  ca_cert:
    description:
      - CA bundle used to verify the API server's certificate, usually C(gpufleet_kube_ca_cert), instead of
        the one in the kubeconfig. When omitted, E(K8S_AUTH_SSL_CA_CERT).
      - TLS verification is always on. A kubeconfig whose cluster entry sets C(insecure-skip-tls-verify)
        is refused unless this option names the CA to trust.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Client certificate to authenticate with. When omitted, E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Key of O(client_cert). When omitted, E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  proxy:
    description:
      - HTTP proxy URL to reach the API server through. When omitted, E(K8S_AUTH_PROXY).
    type: str

requirements:
  - urllib3 >= 2.0.0
  - kubernetes >= 37.0.0 (the official Kubernetes Python client), only for a kubeconfig whose user runs a
    credential plugin (exec, auth-provider) or a KUBECONFIG listing several files
"""
