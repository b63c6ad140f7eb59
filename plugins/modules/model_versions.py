#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: model_versions
short_description: Report which model version every site serves, and where the fleet drifts
version_added: 1.0.0
description:
  - Checks, in one task, the desired models against every site of the fleet. All sites are queried at
    the same time, each within O(site_timeout), so the slowest site bounds the wall time, not the sum.
  - For each site and model it reports desired and running version (the C(app.kubernetes.io/version) label
    that M(gpufleet.datacenter.model_deploy) sets) and image, desired, ready, updated and available replicas,
    and whether a rollout is in progress.
  - Returns a C(drift) list, an C(unreachable_sites) list and a one-line C(summary), as plain lists and dicts for
    C(community.general.json_query) or C(selectattr) in playbooks.
  - Read-only. One C(LIST) of Deployments per site and namespace.
author:
  - gpufleet maintainers (@gpufleet)
attributes:
  check_mode:
    support: full
    description: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
extends_documentation_fragment:
  - gpufleet.datacenter.k8s_auth.credentials
options:
  sites:
    description:
      - The sites to check, usually built from the inventory's C(sites) groups.
      - Each entry may carry its own connection options; an option an entry leaves out comes from the
        module's option of the same name (O(kubeconfig), O(ca_cert), ...), which is how a C(module_defaults)
        for the C(group/gpufleet.datacenter.k8s) action group reaches every site.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Site name, used in every message and result row (usually C(gpufleet_site)).
        type: str
        required: true
        aliases: [site]
      kubeconfig:
        description: Path to the site's kubeconfig (usually C(gpufleet_kubeconfig)). When omitted, O(kubeconfig).
        type: path
      context:
        description: Context in the site's kubeconfig (usually C(gpufleet_kube_context)). When omitted, O(context).
        type: str
      host:
        description: URL of the site's API server, instead of the kubeconfig's. When omitted, O(host).
        type: str
      api_key:
        description: Bearer token for the site. When omitted, O(api_key).
        type: str
      ca_cert:
        description:
          - CA bundle to verify the site's API server with (usually C(gpufleet_kube_ca_cert)). When omitted, O(ca_cert).
          - TLS verification is always on; a kubeconfig with C(insecure-skip-tls-verify) makes the site
            unreachable unless a CA bundle is given.
        type: path
        aliases: [ssl_ca_cert]
      client_cert:
        description: Client certificate for the site. When omitted, O(client_cert).
        type: path
        aliases: [cert_file]
      client_key:
        description: Key of O(sites[].client_cert). When omitted, O(client_key).
        type: path
        aliases: [key_file]
      proxy:
        description: HTTP proxy to reach the site's API server through. When omitted, O(proxy).
        type: str
  models:
    description: The desired state, the same on every site.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Deployment name.
        type: str
        required: true
      namespace:
        description: Deployment namespace.
        type: str
        required: true
      version:
        description: Desired model version (the C(app.kubernetes.io/version) label). At least one of O(models[].version) and O(models[].image) is required.
        type: str
      image:
        description:
          - Desired image. C(repository:tag) must match exactly; C(repository@sha256:...) matches that repository
            and digest whatever tag the running spec also names; a bare C(sha256:...) digest matches any repository.
        type: str
  site_models:
    description:
      - A site's own desired models, by site name, where the release intends a difference there
        (a pinned or quantized version, a model left off the site). Such a site is judged against
        these instead of O(models), so the difference is reported as intended, not as drift.
      - Same keys as O(models).
    type: dict
  site_timeout:
    description:
      - Seconds each site has to answer. A site that has not answered by then is reported unreachable;
        the task never takes much longer than this.
    type: float
    default: 30
  connect_timeout:
    description: Seconds to wait for a connection to an API server, per request.
    type: float
    default: 5
  read_timeout:
    description: Seconds to wait for an API server's answer, per request.
    type: float
    default: 15
  api_retries:
    description: Retries, with exponential backoff, after connection errors, read timeouts, HTTP 429 and 5xx.
    type: int
    default: 2
  fail_on_drift:
    description: Fail the task when any reachable site runs another version or image than desired, or lacks a model.
    type: bool
    default: false
  allow_unreachable:
    description:
      - Succeed even when a site cannot be queried. By default an unreachable site fails the task, since its
        state is unknown.
    type: bool
    default: false
notes:
  - Member of the C(gpufleet.datacenter.k8s) action group, with M(gpufleet.datacenter.model_deploy),
    M(gpufleet.datacenter.rollout_preflight) and M(gpufleet.datacenter.rollout_site).
  - Needs C(list) on Deployments in the models' namespaces; with C(get) only, one request per model is made instead.
seealso:
  - module: gpufleet.datacenter.model_deploy
"""

EXAMPLES = r"""
- name: Check the whole fleet for the release
  gpufleet.datacenter.model_versions:
    sites: "{{ groups['kube_api'] | map('extract', hostvars)
               | community.general.json_query('[].{name: gpufleet_site, kubeconfig: gpufleet_kubeconfig,
                                                  ca_cert: gpufleet_kube_ca_cert}') }}"
    models:
      - name: llm
        namespace: serving
        version: "2026.11.1"
      - name: embedder
        namespace: serving
        image: "sha256:4b7d9c0e2f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c"
    fail_on_drift: true
  register: __fleet
  run_once: true

- name: Sites that still serve another version
  ansible.builtin.debug:
    msg: "{{ __fleet.drift | map(attribute='site') | unique | list }}"

- name: Sites to roll out again, as a jmespath query
  ansible.builtin.set_fact:
    __rollout_sites: "{{ __fleet.models | community.general.json_query('[?drifted].site') | unique }}"
"""

RETURN = r"""
summary:
  description: One line for humans.
  returned: always
  type: str
  sample: "3 site(s) x 2 model(s): 5 in sync, 1 drifted, 0 rolling out, 0 degraded, 0 site(s) unreachable; drift: lab-b/serving/llm (version 1.0, want 2.0)"
in_sync:
  description: Every site reachable, and every model at the desired version and image, rolled out and ready.
  returned: always
  type: bool
  sample: false
models:
  description: One row per site and model.
  returned: always
  type: list
  elements: dict
  contains:
    site:
      description: Site name.
      type: str
    name:
      description: Deployment name.
      type: str
    namespace:
      description: Deployment namespace.
      type: str
    exists:
      description: Whether the Deployment exists; null when the site was unreachable.
      type: bool
    desired_version:
      description: The desired version.
      type: str
    running_version:
      description: The Deployment's C(app.kubernetes.io/version).
      type: str
    desired_image:
      description: The desired image.
      type: str
    running_image:
      description: The model server container's image.
      type: str
    replicas:
      description: Desired replicas.
      type: int
    ready_replicas:
      description: Ready replicas.
      type: int
    updated_replicas:
      description: Replicas on the latest pod template.
      type: int
    available_replicas:
      description: Available replicas.
      type: int
    revision:
      description: Deployment revision.
      type: int
    rollout_in_progress:
      description: Whether the Deployment has not finished rolling out its latest template.
      type: bool
    drifted:
      description: Missing, or another version or image than desired.
      type: bool
    drift_reasons:
      description: Why the row drifted, for example C(version 1.0, want 2.0).
      type: list
      elements: str
    degraded:
      description: Fewer ready replicas than desired.
      type: bool
    in_sync:
      description: Not drifted, not rolling out, not degraded.
      type: bool
  sample: [{site: lab-a, name: llm, namespace: serving, exists: true, desired_version: "2.0", running_version: "2.0",
            desired_image: null, running_image: "registry.example.com/serving/triton:24.05", replicas: 2,
            ready_replicas: 2, updated_replicas: 2, available_replicas: 2, revision: 3,
            rollout_in_progress: false, drifted: false, drift_reasons: [], degraded: false, in_sync: true}]
drift:
  description: The rows of O(models) that drifted, same keys as RV(models).
  returned: always
  type: list
  elements: dict
unreachable_sites:
  description:
    - Sites that could not be queried, each with C(site) and C(error).
    - Not C(unreachable), since ansible-core 2.21 reads a task result's C(unreachable) as its own
      flag, dropped an empty list and marked the task unreachable for a non-empty one.
  returned: always
  type: list
  elements: dict
  sample: [{site: lab-c, error: "Failed to list Deployments in namespace serving at site lab-c: API server unreachable: Connection refused"}]
per_site:
  description: Per site, C(reachable), C(error), C(elapsed) seconds, C(drifted) count and C(in_sync).
  returned: always
  type: dict
  sample: {lab-a: {reachable: true, error: null, elapsed: 0.21, drifted: 0, in_sync: true}}
elapsed:
  description: Seconds the whole check took.
  returned: always
  type: float
  sample: 0.35
"""

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import CREDENTIALS_ARG_SPEC, credentials_arg_spec
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import (
    HAS_URLLIB3,
    URLLIB3_IMPORT_ERROR,
    SiteAuth,
)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.fleet import query_fleet
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.versions import model_errors, summarize

SITE_OPTIONS = dict({"name": {"type": "str", "required": True, "aliases": ["site"]}}, **credentials_arg_spec(env=False))

ARGUMENT_SPEC = dict(credentials_arg_spec(), **{
    "sites": {"type": "list", "elements": "dict", "required": True, "options": SITE_OPTIONS},
    "models": {"type": "list", "elements": "dict", "required": True, "options": {
        "name": {"type": "str", "required": True},
        "namespace": {"type": "str", "required": True},
        "version": {"type": "str"},
        "image": {"type": "str"},
    }},
    "site_models": {"type": "dict"},
    "site_timeout": {"type": "float", "default": 30},
    "connect_timeout": {"type": "float", "default": 5},
    "read_timeout": {"type": "float", "default": 15},
    "api_retries": {"type": "int", "default": 2},
    "fail_on_drift": {"type": "bool", "default": False},
    "allow_unreachable": {"type": "bool", "default": False},
})


def site_params(params, site):
    """A site entry's connection options, each falling back to the module's option."""
    merged = {k: site.get(k) if site.get(k) is not None else params.get(k) for k in CREDENTIALS_ARG_SPEC}
    # A single request never outlives the site's budget.
    merged.update(connect_timeout=min(params["connect_timeout"], params["site_timeout"]),
                  read_timeout=min(params["read_timeout"], params["site_timeout"]),
                  api_retries=params["api_retries"])
    return merged


def site_auths(params):
    return [SiteAuth.from_params(s["name"], site_params(params, s)) for s in params["sites"]]


def input_errors(params):
    errors = model_errors(params["models"])
    for site, models in sorted((params["site_models"] or {}).items()):
        errors.extend("site_models.%s: %s" % (site, e) for e in model_errors(models or []))
    names = [s["name"] for s in params["sites"]]
    errors.extend("site %s is listed twice" % n for n in sorted({n for n in names if names.count(n) > 1}))
    return errors


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not HAS_URLLIB3:
        module.fail_json(msg=missing_required_lib("urllib3"), exception=URLLIB3_IMPORT_ERROR)
    params = module.params
    errors = input_errors(params)
    if errors:
        module.fail_json(msg="Failed to check model versions: " + "; ".join(errors))
    started = time.monotonic()
    fleet = query_fleet(site_auths(params), params["models"], params["site_timeout"],
                        site_models=params["site_models"])
    rows = fleet["rows"]
    result = {
        "changed": False,
        "models": rows,
        "drift": [r for r in rows if r["drifted"]],
        # Not `unreachable`: ansible-core (2.21 on) takes that key of a result as the host-unreachable flag.
        "unreachable_sites": fleet["unreachable"],
        "per_site": fleet["per_site"],
        "summary": summarize([s["name"] for s in params["sites"]], params["models"], rows, fleet["unreachable"]),
        "elapsed": round(time.monotonic() - started, 3),
    }
    result["in_sync"] = not fleet["unreachable"] and all(r["in_sync"] for r in rows)
    if fleet["unreachable"] and not params["allow_unreachable"]:
        module.fail_json(msg="Failed to check model versions at site(s) %s: %s" % (
            ", ".join(u["site"] for u in fleet["unreachable"]), "; ".join(u["error"] for u in fleet["unreachable"])),
            **result)
    if result["drift"] and params["fail_on_drift"]:
        module.fail_json(msg="Model versions drifted: %s" % result["summary"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
