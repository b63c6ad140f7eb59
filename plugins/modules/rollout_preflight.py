#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_preflight
short_description: Check that a release can land on one site, and record what runs there now
version_added: 1.0.0
description:
  - Reads one site's Kubernetes API over verified TLS and reports, without changing anything, every
    reason the release cannot roll there - API unreachable or refusing the TLS handshake, a missing
    namespace, a requested GPU product no schedulable node has, not enough free C(nvidia.com/gpu) for
    the new replicas plus the rolling-update surge.
  - Returns what runs at the site now (version, image, replicas, GPUs per model) and, from the release
    journal, what the rollout does here - V(skip) a site done and verified by an earlier run of the
    same release, or V(deploy) - and the versions a rollback would return to.
  - Problems do not fail the task; the rollout playbook gathers them from every site and stops with
    all of them listed before any site changes.
  - Given O(release_check) and no O(site), preflights every site of the plan at once, each in its own
    thread, reaching each site with the kubeconfig, context and CA bundle the plan read from the
    inventory (RV(gpufleet.datacenter.release_check#module:fleet)); the result is RV(sites).
author:
  - gpufleet maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.datacenter.k8s_auth
attributes:
  check_mode:
    support: full
    description: Read-only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
options:
  site:
    description:
      - Name of the site (datacenter) this API server belongs to, usually C(gpufleet_site).
      - Used in every message and returned result, so a failure in a fleet-wide run says where it happened.
      - When omitted, O(release_check) is required and every site of its plan is preflighted.
    type: str
    required: false
  release_check:
    description:
      - The result of M(gpufleet.datacenter.release_check) for the release. The site's models, the policy's
        C(max_surge), C(create_namespace) and C(adopt), the journal and the release name are taken from it,
        so a playbook passes the plan once; none of those options is then given.
      - Without O(site), every site of the plan.
    type: dict
  models:
    description:
      - The release's models as resolved for this site (RV(gpufleet.datacenter.release_check#module:site_models)).
      - Each has C(name), C(namespace), C(image), C(version), C(replicas), C(gpus) and C(gpu_product).
      - Required unless O(release_check) is given.
    type: list
    elements: dict
  max_surge:
    description:
      - Extra pods per model a rolling update runs at its peak, each needing its GPUs.
      - When omitted, the release's C(policy.max_surge) with O(release_check), else V(1).
    type: int
  create_namespace:
    description:
      - Whether the rollout creates missing namespaces; when false a missing one is a problem.
      - When omitted, the release's C(policy.create_namespace) with O(release_check), else V(true).
    type: bool
  journal:
    description: The release journal, to decide whether this site is already done.
    type: path
  release:
    description:
      - The release name. With it, a model of O(models) that another run is changing on the site (it holds
        the model's Lease, see M(gpufleet.datacenter.rollout_site)) is reported as a problem, naming that run.
    type: str
  adopt:
    description:
      - Whether the rollout may take over a Deployment of a model's name that this collection did not create
        (C(policy.adopt)). When false, such a Deployment is a problem naming it and its manager.
      - When omitted, the release's C(policy.adopt) with O(release_check), else V(false).
    type: bool
"""

EXAMPLES = r"""
- name: Preflight the site
  gpufleet.datacenter.rollout_preflight:
    site: "{{ gpufleet_site }}"
    kubeconfig: "{{ gpufleet_kubeconfig }}"
    context: "{{ gpufleet_kube_context | default(omit) }}"
    models: "{{ __rollout_release.site_models[gpufleet_site] }}"
    max_surge: 1
    journal: "{{ __rollout_release.journal }}"
  register: __rollout_preflight

- name: Preflight every site of the release's plan in parallel (models, policy, journal and sites from the plan)
  gpufleet.datacenter.rollout_preflight:
    release_check: "{{ __rollout_release }}"
  register: __rollout_preflight
"""

RETURN = r"""
sites:
  description:
    - Without O(site), each site's result by inventory host, in the plan's order; each holds the keys
      below and C(host).
  returned: when O(site) is omitted
  type: dict
  sample: {api-eu: {host: api-eu, site: eu-west, reachable: true, problems: [], at_release: true}}
timing:
  description: When the site's preflight started and finished (UTC), for the journal's preflight phase.
  returned: when reachable
  type: dict
  sample: {started: "2026-12-01T10:00:00.125000Z", finished: "2026-12-01T10:00:00.480000Z"}
site:
  description: The site.
  returned: always
  type: str
  sample: eu-west
reachable:
  description: Whether the API answered over verified TLS.
  returned: always
  type: bool
  sample: true
problems:
  description: Every reason the release cannot roll here; empty when it can.
  returned: always
  type: list
  elements: str
  sample: ["site us-east has not enough nvidia.com/gpu of product NVIDIA-H100-80GB-HBM3: requested 40 (chat (39 replicas + 1 surge) x 1 GPUs), free 32"]
current:
  description: Per model, what runs now (C(exists), C(version), C(image), C(replicas), C(ready_replicas), C(gpus), C(gpu_product)...).
  returned: when reachable
  type: dict
  sample: {chat-llm: {exists: true, version: "2.0.0", image: "r.example/chat:2.0.0", replicas: 2, ready_replicas: 2}}
capacity:
  description: Per GPU product, allocatable and free GPUs on schedulable nodes.
  returned: when reachable
  type: dict
  sample: {NVIDIA-H100-80GB-HBM3: {allocatable: 32, free: 30}}
at_release:
  description: Whether every model runs the release's version and image with all replicas ready.
  returned: always
  type: bool
  sample: true
decision:
  description: C(action) (skip or deploy), C(reason), and C(before) - what a rollback of this site returns to.
  returned: when reachable
  type: dict
  sample: {action: deploy, reason: not started, before: {chat-llm: {exists: false}}}
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import auth_arg_spec
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import (
    HAS_URLLIB3, URLLIB3_IMPORT_ERROR, SiteAuth, get_client)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import (
    PREFLIGHT_OPTIONS, plan_sites, preflight_args)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import iso, site_entry
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.leases import run_identity
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.preflight import check_site


def argument_spec():
    spec = auth_arg_spec()
    # One site, or with release_check alone every site of the plan.
    spec["site"] = {"type": "str"}
    spec.update({
        "release_check": {"type": "dict"},
        "models": {"type": "list", "elements": "dict"},
        "max_surge": {"type": "int"},
        "create_namespace": {"type": "bool"},
        "journal": {"type": "path"},
        "release": {"type": "str"},
        "adopt": {"type": "bool"},
    })
    return spec


# The plan gives these options whole; a task gives either the plan or the models.
VALIDATION = {"mutually_exclusive": [["release_check", option] for option in PREFLIGHT_OPTIONS],
              "required_one_of": [["release_check", "models"], ["release_check", "site"]]}
DEFAULTS = {"max_surge": 1, "create_namespace": True, "adopt": False}
# How the plan reaches a site (release_check's fleet, from the inventory).
CONNECTION = ("kubeconfig", "context", "ca_cert")
# Sites read at once; each site's own reads run in parallel too.
PARALLEL_SITES = 16


def resolved(params):
    """The parameters with the plan's part filled in (release_check), else the defaults."""
    if params.get("release_check"):
        return dict(params, **preflight_args(params["release_check"], params["site"]))
    return dict(params, **{k: v for k, v in DEFAULTS.items() if params.get(k) is None})


def every_site(params):
    """(result, error): every site of the plan preflighted at once, {host: the site's result}."""
    check = params["release_check"]
    reach = {entry["name"]: entry for entry in check.get("fleet") or []}
    pairs = plan_sites(check["plan"])
    unknown = [site for _host, site in pairs if site not in reach]
    if unknown:
        return {}, ("Failed to preflight release %s: release_check does not say how to reach site(s) %s (its sites "
                    "were given, not read from the inventory); preflight each site with site and kubeconfig"
                    % (check["release"]["name"], ", ".join(unknown)))
    try:
        # Read once for every site: one view of the journal, and no re-read per site.
        journal = journal_store.load(check["journal"])
    except RolloutError as e:
        return {}, str(e)

    def one(site):
        # The inventory's connection wins over module_defaults and the environment, as a task's own options do.
        given = {key: reach[site][key] for key in CONNECTION if reach[site].get(key) is not None}
        try:
            return preflight(resolved(dict(params, site=site, **given)), journal), None
        except RolloutError as e:
            return {}, str(e)

    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_SITES, len(pairs)))) as pool:
        outcomes = list(pool.map(one, [site for _host, site in pairs]))
    errors = [error for _result, error in outcomes if error]
    if errors:
        return {}, errors[0]
    return {"changed": False, "sites": {host: dict(result, host=host) for (host, _site), (result, _error)
                                        in zip(pairs, outcomes)}}, None


def preflight(params, journal):
    """One site's result: `params` with the plan's part filled in (resolved), `journal` as loaded."""
    site = params["site"]
    entry = site_entry(journal, site) if params["journal"] else None
    try:
        client = get_client(SiteAuth.from_params(site, params))
    except K8sError as e:
        # A kubeconfig we refuse (missing, insecure) is a site problem like an unreachable API.
        return {"changed": False, "site": site, "reachable": False, "problems": [str(e)], "current": {},
                "capacity": {}, "decision": None, "at_release": False}
    started = iso(datetime.now(timezone.utc))
    holder = run_identity(params["release"]) if params["release"] else None
    result = check_site(client, site, params["models"], params["max_surge"], params["create_namespace"], entry,
                        holder=holder, adopt=params["adopt"])
    return dict(result, changed=False, timing={"started": started, "finished": iso(datetime.now(timezone.utc))})


def execute(params, check_mode=False, diff=False):
    """(result, error message or None): the action plugin and main() share this."""
    if not params["site"]:
        return every_site(params)
    try:
        params = resolved(params)
        journal = journal_store.load(params["journal"]) if params["journal"] else None
    except RolloutError as e:
        return {}, str(e)
    return preflight(params, journal), None


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **VALIDATION)
    if not HAS_URLLIB3:
        module.fail_json(msg=missing_required_lib("urllib3"), exception=str(URLLIB3_IMPORT_ERROR))
    finish(module, *execute(module.params, module.check_mode))


if __name__ == "__main__":
    main()
