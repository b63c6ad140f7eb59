#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: model_health
short_description: Gate a rollout on a model server serving the expected model version
version_added: 1.0.0
description:
  - Probes a model server and passes only when the model is ready at the expected version.
  - O(protocol=v2) speaks the Open Inference Protocol (KServe, Triton, MLServer) -
    C(/v2/health/live), C(/v2/health/ready), C(/v2/models/{model}/ready), the model metadata
    endpoint and, when O(version) is set, C(/v2/models/{model}/versions/{version}/ready) and its
    metadata. The model repository index (C(POST /v2/repository/index)), where the server has it,
    tells which versions are loaded.
  - O(protocol=tfserving) reads TensorFlow Serving's model status API, C(/v1/models/{model}) and
    C(/v1/models/{model}/versions/{version}); a version is served when its state is C(AVAILABLE).
  - When the server lists the versions it serves, the expected version must be among them, even
    if the versioned ready endpoint answers for any version.
  - Retries with O(retries) and O(delay), or keeps probing for O(wait_timeout) seconds. Bad
    credentials (HTTP 401/403) and certificates that do not verify end the gate at once.
  - TLS certificates are always verified; O(ca_cert) names the CA bundle of a private CA.
    There is no option to turn verification off.
  - Only reads from the server. The repository index is a POST by protocol, but it changes nothing.
author:
  - gpufleet maintainers (@gpufleet)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  url:
    description:
      - Base URL of the model server's HTTP endpoint, for example C(https://models.eu-west.example.com).
      - A path prefix (an ingress path) is kept; the protocol paths are appended to it.
    type: str
    required: true
  protocol:
    description:
      - C(v2) for the Open Inference Protocol (KServe V2, Triton, MLServer).
      - C(tfserving) for TensorFlow Serving's REST model status API.
    type: str
    choices: [v2, tfserving]
    default: v2
  model:
    description: Name of the model as the server knows it.
    type: str
    required: true
    aliases: [name]
  version:
    description:
      - The model version that must be served. Compared as a string.
      - When omitted, the gate only checks that the model is ready and reports the versions it finds.
    type: str
    aliases: [expected_version]
  site:
    description:
      - Site name used in messages, normally C(gpufleet_site).
      - Defaults to the host and port of O(url).
    type: str
  timeout:
    description: Seconds each HTTP request may take.
    type: float
    default: 10
  retries:
    description: Attempts after the first when the gate does not pass.
    type: int
    default: 0
  delay:
    description: Seconds to wait between attempts.
    type: float
    default: 5
  wait_timeout:
    description:
      - Keep probing until the gate passes or this many seconds have passed since the first attempt.
      - Mutually exclusive with O(retries).
    type: float
  ca_cert:
    description: PEM CA bundle to verify the server's certificate with, instead of the system trust store.
    type: path
    aliases: [ca_path]
  bearer_token:
    description:
      - 'Token sent in the C(Authorization) header as C(Bearer <token>).'
      - Sent only to the scheme, host and port of O(url); a redirect elsewhere is followed without it.
    type: str
  allow_http:
    description:
      - Allow a plain C(http://) O(url) off loopback. Without it such a URL is refused before any request,
        because a token and the answers would cross the network in clear text.
      - C(http://) on loopback (C(127.0.0.0/8), C(::1), C(localhost)) needs no opt-in; C(https://) never does.
    type: bool
    default: false
  use_proxy:
    description: Whether to use the proxy from the environment (C(https_proxy), C(no_proxy)).
    type: bool
    default: true
notes:
  - Uses C(ansible.module_utils.urls), so nothing has to be installed on the host that runs it;
    run it where the model endpoint is reachable (C(delegate_to) a host inside the site if needed).
seealso:
  - name: Open Inference Protocol REST specification
    description: Health and metadata endpoints used by O(protocol=v2).
    link: https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md
  - name: TensorFlow Serving RESTful API
    description: Model status API used by O(protocol=tfserving).
    link: https://github.com/tensorflow/serving/blob/master/tensorflow_serving/g3doc/api_rest.md
"""

EXAMPLES = r"""
- name: Wait up to five minutes for version 2024-06-01 of the ranker at this site
  gpufleet.datacenter.model_health:
    url: "https://models.{{ gpufleet_site }}.example.com"
    model: ranker
    version: "2024-06-01"
    site: "{{ gpufleet_site }}"
    ca_cert: /etc/gpufleet/ca.pem
    bearer_token: "{{ model_gateway_token }}"
    wait_timeout: 300
    delay: 10

- name: Check a TensorFlow Serving model at version 3, three attempts, over plain http inside the site
  gpufleet.datacenter.model_health:
    url: http://10.10.0.20:8501
    allow_http: true
    protocol: tfserving
    model: half_plus_two
    version: "3"
    site: eu-west
    retries: 2
    delay: 5
  register: __health

- name: Show which versions the server reported
  ansible.builtin.debug:
    msg: "{{ __health.served_versions }}"
"""

RETURN = r"""
healthy:
  description: Whether every required check passed.
  returned: always
  type: bool
  sample: true
site:
  description: Site named in messages.
  returned: always
  type: str
  sample: eu-west
url:
  description: Base URL probed.
  returned: always
  type: str
  sample: https://models.eu-west.example.com
protocol:
  description: Protocol spoken.
  returned: always
  type: str
  sample: v2
model:
  description: Model name checked.
  returned: always
  type: str
  sample: ranker
expected_version:
  description: The version that had to be served, or null.
  returned: always
  type: str
  sample: "2024-06-01"
served_versions:
  description:
    - Versions the server reported as served, sorted; empty when the server does not list versions.
    - From V2 model metadata C(versions), the V2 repository index (state C(READY)), or TF Serving
      versions in state C(AVAILABLE).
  returned: always
  type: list
  elements: str
  sample: ["2024-06-01"]
checks:
  description: The checks of the last attempt, in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: >-
        Check name - server_live, server_ready, model_ready, model_metadata, version_ready,
        version_metadata, repository_index, version_served, model_status or version_status.
      type: str
      sample: version_ready
    method:
      description: HTTP method, or C(-) for a check computed from other responses.
      type: str
      sample: GET
    url:
      description: URL requested.
      type: str
      sample: https://models.eu-west.example.com/v2/models/ranker/versions/2024-06-01/ready
    ok:
      description: Whether the check passed.
      type: bool
      sample: true
    required:
      description: Whether the gate needs this check to pass; others only gather diagnostics.
      type: bool
      sample: true
    status:
      description: HTTP status code, or null when no response arrived.
      type: int
      sample: 200
    detail:
      description: What was found, or the error.
      type: str
      sample: ready
attempts:
  description: Number of attempts made.
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds from the first attempt to the verdict.
  returned: always
  type: float
  sample: 0.042
msg:
  description: One line verdict naming site, URL, model and expected against served versions.
  returned: always
  type: str
  sample: model ranker version 2024-06-01 is ready at https://models.eu-west.example.com
"""

import os
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.errors import HealthCheckError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.gate import GateSpec, run_gate
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.retry import RetryPolicy
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import TransportOptions
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.url_policy import plain_http_problem

ARGUMENT_SPEC = dict(
    url=dict(type="str", required=True),
    protocol=dict(type="str", choices=["v2", "tfserving"], default="v2"),
    model=dict(type="str", required=True, aliases=["name"]),
    version=dict(type="str", aliases=["expected_version"]),
    site=dict(type="str"),
    timeout=dict(type="float", default=10),
    retries=dict(type="int", default=0),
    delay=dict(type="float", default=5),
    wait_timeout=dict(type="float"),
    ca_cert=dict(type="path", aliases=["ca_path"]),
    bearer_token=dict(type="str", no_log=True),
    use_proxy=dict(type="bool", default=True),
    allow_http=dict(type="bool", default=False),
)
MUTUALLY_EXCLUSIVE = [("retries", "wait_timeout")]


def validate(params: dict) -> str | None:
    """Return an error for inputs the argument spec cannot express, else None."""
    parts = urlsplit(params["url"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "url %r must be an absolute http:// or https:// URL" % params["url"]
    refused = plain_http_problem(params["url"], params.get("allow_http") is True, "allow_http: true")
    if refused:
        return refused
    for name in ("timeout", "delay", "wait_timeout"):
        value = params.get(name)
        if value is not None and value < 0:
            return "%s %r must not be negative" % (name, value)
    if params["timeout"] == 0:
        return "timeout must be greater than 0"
    if params["retries"] < 0:
        return "retries %r must not be negative" % params["retries"]
    if params.get("ca_cert") and not os.path.isfile(params["ca_cert"]):
        return "ca_cert %s is not a file" % params["ca_cert"]
    return None


def build(params: dict) -> tuple[GateSpec, TransportOptions, RetryPolicy]:
    site = params["site"] or urlsplit(params["url"]).netloc
    spec = GateSpec(site=site, url=params["url"], protocol=params["protocol"], model=params["model"], version=params["version"])
    options = TransportOptions(
        timeout=params["timeout"], ca_path=params["ca_cert"], token=params["bearer_token"], use_proxy=params["use_proxy"],
        allow_http=params["allow_http"],
    )
    policy = RetryPolicy(retries=params["retries"], delay=params["delay"], wait_timeout=params["wait_timeout"])
    return spec, options, policy


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    spec, options, policy = build(module.params)
    try:
        result = run_gate(spec, options, policy)
    except HealthCheckError as e:
        module.fail_json(msg=str(e), changed=False, **e.result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
