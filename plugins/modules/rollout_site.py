#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_site
short_description: Roll a release out to one site (or roll the site back), start to end, in one step
version_added: 1.0.0
description:
  - One site's whole part of a rollout. With O(action=deploy) records C(deploying) in the release
    journal, applies every model of the release (server-side apply, as M(gpufleet.datacenter.model_deploy)),
    waits for all of them together, runs the health gates - availability, each model endpoint at the
    expected version (as M(gpufleet.datacenter.model_health)), soak then a re-check, the Prometheus
    analysis - and records C(verified).
  - On failure records the real cause, then rolls the site back to O(before) unless
    C(policy.on_failure) is V(halt). The task does not fail for a failed site; RV(site_failed) says so,
    and the rollout playbook stops before the next batch and fails at the report, which names where
    every site is.
  - With O(action=rollback) returns the site to the versions the journal recorded before the release.
  - While it waits, prints a line for each model not yet ready at least every 10 seconds, naming why
    (for example C(1/2 ready; ImagePullBackOff ...)).
  - Every API request and wait is bounded by C(policy.wait_timeout) for the deploy and again for a
    rollback, so an unreachable site is reported within that time plus one request timeout.
  - Runs on the controller as an action plugin (the kube_api hosts stand for the API and need no
    Python of their own), so a rollout pays no interpreter start-up per site.
author:
  - gpufleet maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.datacenter.k8s_auth
attributes:
  check_mode:
    support: full
    description: Server-side dry-run applies only; nothing is written to the journal and nothing waits.
  diff_mode:
    support: full
    description: Before and after of the managed fields of each object that would change.
options:
  action:
    description:
      - V(deploy) rolls the release out to the site; V(rollback) returns the site to what it ran before;
        V(read) changes nothing and returns what the site runs and its journal status.
    type: str
    choices: [deploy, rollback, read]
    default: deploy
  models:
    description:
      - The release's models as resolved for this site (RV(gpufleet.datacenter.release_check#module:site_models)).
    type: list
    elements: dict
    required: true
  policy:
    description:
      - The release's normalized policy (RV(gpufleet.datacenter.release_check#module:release).policy).
    type: dict
    required: true
  journal:
    description: The release journal; every state change of the site is recorded there.
    type: path
  release:
    description:
      - The release name, part of this run's identity (C(controller:pid:release)) on the site's leases.
      - Before changing a model, the step takes the model's C(coordination.k8s.io) Lease
        C(gpufleet-model-<name>) in its namespace and renews it every third of C(policy.lease_seconds)
        while it runs; it gives it back at the end. When another run holds one, nothing is changed on
        the site, RV(status) is V(held) and the message names the holder and since when. A lease not
        renewed for C(policy.lease_seconds) (its run was killed), or held by a process of this controller
        that no longer exists, is taken over and the journal notes it.
    type: str
  inventory_host:
    description: Inventory host that stands for the site, recorded in the journal.
    type: str
  before:
    description:
      - What each model ran before the release (the preflight's C(decision.before)); what a rollback returns to.
      - With O(action=rollback) it defaults to the journal's record.
    type: dict
  only_statuses:
    description:
      - With O(action=rollback), roll the site back only when its journal status is one of these
        (the playbook's C(rollback_all) takes the sites that got or were getting the release).
    type: list
    elements: str
  preflight_timing:
    description:
      - When the site's preflight started and finished (RV(gpufleet.datacenter.rollout_preflight#module:timing)),
        recorded as the journal's preflight phase of this run.
    type: dict
  prometheus_url:
    description: The site's Prometheus, usually C(gpufleet_prometheus_url), when C(policy.prometheus.url) is not set.
    type: str
  api_retries:
    description:
      - Retries of one request, each capped by what is left of the step's deadline.
    type: int
    default: 1
seealso:
  - module: gpufleet.datacenter.model_deploy
  - module: gpufleet.datacenter.model_health
  - module: gpufleet.datacenter.rollout_preflight
"""

EXAMPLES = r"""
- name: Roll the release out to the site
  gpufleet.datacenter.rollout_site:
    site: "{{ gpufleet_site }}"
    kubeconfig: "{{ gpufleet_kubeconfig }}"
    models: "{{ __rollout.site_models[gpufleet_site] }}"
    policy: "{{ __rollout.release.policy }}"
    journal: "{{ __rollout.journal }}"
    before: "{{ __preflight.decision.before }}"
  register: __site

- name: Roll the site back to what the journal recorded before the release
  gpufleet.datacenter.rollout_site:
    action: rollback
    site: "{{ gpufleet_site }}"
    kubeconfig: "{{ gpufleet_kubeconfig }}"
    models: "{{ __rollout.site_models[gpufleet_site] }}"
    policy: "{{ __rollout.release.policy }}"
    journal: "{{ __rollout.journal }}"
"""

RETURN = r"""
site:
  description: The site.
  returned: always
  type: str
  sample: eu-west
status:
  description:
    - The site's journal status at the end - V(verified), V(failed), V(rolled_back), V(rollback_failed);
      V(planned) in check mode; V(untouched) for a rollback of a site the release never changed;
      V(held) when another run holds the lease of one of the models (nothing was changed, the journal entry is left as it was).
  returned: always
  type: str
  sample: verified
site_failed:
  description: Whether the site failed its rollout (or its rollback); no further batch should start.
  returned: always
  type: bool
  sample: false
cause:
  description: The real cause of the failure, as the journal and the report record it.
  returned: always
  type: str
  sample: "wait failed: Failed to roll out Deployment models/chat at site eu-west: did not complete ..."
diagnosis:
  description: The Deployment diagnosis when the failure was a rollout that did not complete.
  returned: on failure while waiting
  type: dict
steps:
  description: Each step taken, in order, with whether it passed, its seconds and a detail.
  returned: always
  type: list
  elements: dict
  sample: [{name: apply, ok: true, seconds: 0.21, detail: chat changed}, {name: wait, ok: true, seconds: 1.4,
            detail: chat 2/2 ready}, {name: gate endpoint, ok: true, seconds: 0.05, detail: chat 1.0.0}]
current:
  description: What each model of the site runs at the end (version, image, replicas, ready replicas, ...).
  returned: always
  type: dict
running:
  description: The same in one phrase, or V(unreachable).
  returned: always
  type: str
  sample: chat=1.0.0
reachable:
  description: Whether the final read of the site answered.
  returned: always
  type: bool
at_release:
  description: Whether every model runs the release's version and image with every replica ready.
  returned: always
  type: bool
objects:
  description: Each object applied or deleted, and whether it changed.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import auth_arg_spec
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import (
    HAS_URLLIB3, URLLIB3_IMPORT_ERROR, SiteAuth, get_client)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.site import run_site


def argument_spec():
    spec = auth_arg_spec()
    spec["api_retries"]["default"] = 1
    spec.update({
        "action": {"type": "str", "choices": ["deploy", "rollback", "read"], "default": "deploy"},
        "models": {"type": "list", "elements": "dict", "required": True},
        "policy": {"type": "dict", "required": True},
        "journal": {"type": "path"},
        "inventory_host": {"type": "str"},
        "before": {"type": "dict"},
        "only_statuses": {"type": "list", "elements": "str"},
        "prometheus_url": {"type": "str"},
        "preflight_timing": {"type": "dict"},
        "release": {"type": "str"},
    })
    return spec


def execute(params, check_mode, progress=None):
    """(result, error message or None): the action plugin and main() share this."""
    try:
        client = get_client(SiteAuth.from_params(params["site"], params))
        return run_site(client, params, check_mode, progress), None
    except (K8sError, RolloutError) as e:
        return {"site": params["site"], "site_failed": True, "cause": str(e), "steps": []}, str(e)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_URLLIB3:
        module.fail_json(msg=missing_required_lib("urllib3"), exception=URLLIB3_IMPORT_ERROR)
    finish(module, *execute(module.params, module.check_mode))


if __name__ == "__main__":
    main()
