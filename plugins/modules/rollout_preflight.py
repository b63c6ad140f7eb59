#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_preflight
short_description: Check that a release can land on one site, and record what runs there now
version_added: 0.1.0
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
  models:
    description:
      - The release's models as resolved for this site (RV(gpufleet.datacenter.release_check#module:site_models)).
      - Each has C(name), C(namespace), C(image), C(version), C(replicas), C(gpus) and C(gpu_product).
    type: list
    elements: dict
    required: true
  max_surge:
    description: Extra pods per model a rolling update runs at its peak, each needing its GPUs.
    type: int
    default: 1
  create_namespace:
    description: Whether the rollout creates missing namespaces; when false a missing one is a problem.
    type: bool
    default: true
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
    type: bool
    default: false
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
"""

RETURN = r"""
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

from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import auth_arg_spec
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import (
    HAS_URLLIB3, URLLIB3_IMPORT_ERROR, SiteAuth, get_client)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import iso, site_entry
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.leases import run_identity
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.preflight import check_site


def argument_spec():
    spec = auth_arg_spec()
    spec.update({
        "models": {"type": "list", "elements": "dict", "required": True},
        "max_surge": {"type": "int", "default": 1},
        "create_namespace": {"type": "bool", "default": True},
        "journal": {"type": "path"},
        "release": {"type": "str"},
        "adopt": {"type": "bool", "default": False},
    })
    return spec


def execute(params, check_mode=False, diff=False):
    """(result, error message or None): the action plugin and main() share this."""
    site = params["site"]
    try:
        entry = site_entry(journal_store.load(params["journal"]), site) if params["journal"] else None
    except RolloutError as e:
        return {}, str(e)
    try:
        client = get_client(SiteAuth.from_params(site, params))
    except K8sError as e:
        # A kubeconfig we refuse (missing, insecure) is a site problem like an unreachable API.
        return {"changed": False, "site": site, "reachable": False, "problems": [str(e)], "current": {},
                "capacity": {}, "decision": None, "at_release": False}, None
    started = iso(datetime.now(timezone.utc))
    holder = run_identity(params["release"]) if params["release"] else None
    result = check_site(client, site, params["models"], params["max_surge"], params["create_namespace"], entry,
                        holder=holder, adopt=params["adopt"])
    return dict(result, changed=False, timing={"started": started, "finished": iso(datetime.now(timezone.utc))}), None


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_URLLIB3:
        module.fail_json(msg=missing_required_lib("urllib3"), exception=str(URLLIB3_IMPORT_ERROR))
    finish(module, *execute(module.params, module.check_mode))


if __name__ == "__main__":
    main()
