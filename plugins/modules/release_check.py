#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release_check
short_description: Validate a model release file and plan its site-by-site rollout
version_added: 1.0.0
description:
  - Loads a release file (models with image, version, replicas and GPUs, per-site overrides, rollout
    policy), validates it against the release schema and reports B(every) problem at once, each naming
    the field, the model and the site.
  - Returns the release normalized with defaults, the models as resolved for each site, the rollout
    plan (canary first, then waves in order, as play hosts and C(serial) batch sizes) and the path of
    the release's journal.
  - Changes nothing; the rollout playbook runs it before any site is touched.
author:
  - gpufleet maintainers (@gpufleet)
attributes:
  check_mode:
    support: full
    description: Reads the release file only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
options:
  path:
    description:
      - The release file (YAML). An empty value fails with the command line that gives one.
    type: path
    required: true
  sites:
    description:
      - The inventory's sites, one entry per C(kube_api) host.
      - When omitted (the action plugin on the controller), read from the inventory - every
        C(kube_api) host's C(gpufleet_site), C(gpufleet_rollout_wave), C(gpufleet_gpu.product) and
        C(gpufleet_runtime_class).
    type: list
    elements: dict
    suboptions:
      name:
        description: The site name (C(gpufleet_site)); the release refers to sites by it.
        type: str
        required: true
      host:
        description: The C(kube_api) inventory host that stands for the site.
        type: str
        required: true
      wave:
        description: The site's C(gpufleet_rollout_wave), used when the release sets no waves.
        type: int
      gpu_product:
        description: The site's GPU product (C(gpufleet_gpu.product)), the default node selector.
        type: str
      runtime_class:
        description:
          - The site's RuntimeClass for GPU pods (C(gpufleet_runtime_class)), used when the release names none;
            V(none) for no RuntimeClass.
        type: str
      prometheus_url:
        description:
          - The site's Prometheus (C(gpufleet_prometheus_url)), which the release's Prometheus gate queries when
            C(policy.prometheus.url) is not set; it must be https unless on loopback or C(policy.prometheus.allow_http).
        type: str
  reports_dir:
    description:
      - Where the rollout writes its reports; returned as RV(reports_dir).
      - Default C(reports) in the project directory - the playbook's directory, or its parent when that
        is named C(playbooks) - so a run from another directory or from cron finds the same journal.
        Without a playbook directory (the module run on its own), C(reports) under the current directory.
    type: path
  fleet_sites:
    description:
      - Every site of the fleet with its hosts, as a mapping of site name to host names; each must have exactly one entry in
        O(sites), or the release is refused naming the site. The action plugin fills it from every
        inventory host's C(gpufleet_site) when O(sites) is not given.
    type: dict
  journal_dir:
    description:
      - Directory holding rollout journals; the result's RV(journal) is a file in it named after
        the release and its content fingerprint, so an edited release is a new rollout.
      - Default C(journal) under O(reports_dir).
    type: path
"""

EXAMPLES = r"""
- name: Validate the release and plan the rollout
  gpufleet.datacenter.release_check:
    path: releases/sample.yml
    journal_dir: reports/journal
    sites:
      - {name: eu-west, host: api-eu-west, wave: 1, gpu_product: NVIDIA-H100-80GB-HBM3}
      - {name: us-east, host: api-us-east, wave: 2, gpu_product: NVIDIA-H100-80GB-HBM3}
  register: __rollout_release
"""

RETURN = r"""
summary:
  description: The plan in one line (release, models, on_failure, batches, journal); the action plugin prints it.
  returned: success
  type: str
  sample: "Release chat-2026-11 (1 model(s)), on failure rollback_site: canary: eu-west -> wave 2: us-east; journal ..."
path:
  description: The release file, as an absolute path.
  returned: success
  type: str
reports_dir:
  description: Where the rollout writes its reports (O(reports_dir) or its default).
  returned: success
  type: str
journal_dir:
  description: Where the release's journal lives (O(journal_dir) or its default).
  returned: success
  type: str
fleet:
  description:
    - How to reach each site (C(name), C(kubeconfig), C(context), C(ca_cert)), in the shape
      M(gpufleet.datacenter.model_versions) takes; when O(sites) was read from the inventory.
  returned: success, when O(sites) is omitted
  type: list
  elements: dict
  sample: [{name: eu-west, kubeconfig: /etc/gpufleet/eu-west.kubeconfig, context: eu-west}]
release:
  description: The release with defaults filled in.
  returned: success
  type: dict
  sample: {name: chat-2026-11, models: [{name: chat-llm, version: "2.1.0", replicas: 2, gpus: 1}],
           policy: {on_failure: rollback_site, soak_seconds: 0}}
fingerprint:
  description: SHA-256 of the normalized release; part of the journal's name.
  returned: success
  type: str
  sample: 4f8d0c3c1a1fd0e6e5b1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b
site_models:
  description: Per site name, the models as deployed there (site overrides and inventory GPU product applied).
  returned: success
  type: dict
  sample: {eu-west: [{name: chat-llm, replicas: 2, gpus: 1, gpu_product: NVIDIA-H100-80GB-HBM3}]}
desired:
  description: What every site must run in the end (C(name), C(namespace), C(version), C(image)), as M(gpufleet.datacenter.model_versions) takes it.
  returned: success
  type: list
  elements: dict
  sample: [{name: chat-llm, namespace: models, version: "2.1.0", image: "r.example/chat:2.1.0"}]
plan:
  description: Rollout order. C(batches) lists the canary and then each wave; C(hosts) and C(serial) feed a play.
  returned: success
  type: dict
  sample: {canary: eu-west, batches: [{label: canary, sites: [eu-west]}, {label: wave 2, sites: [us-east]}],
           hosts: [api-eu-west, api-us-east], serial: [1, 1]}
journal:
  description: Path of the release's journal file.
  returned: success
  type: str
  sample: reports/journal/chat-2026-11-4f8d0c3c1a1f.json
problems:
  description: Every schema problem, each naming field, model and site.
  returned: failure
  type: list
  elements: str
  sample: ["models[0].image, model chat-llm: 'r/chat:latest' uses :latest; pin a tag or a digest"]
"""


import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import ReleaseInvalid
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release_file import (
    check_release_file, plan_summary)

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "sites": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str", "required": True},
        "host": {"type": "str", "required": True},
        "wave": {"type": "int"},
        "gpu_product": {"type": "str"},
        "runtime_class": {"type": "str"},
        "prometheus_url": {"type": "str"},
    }},
    "journal_dir": {"type": "path"},
    "reports_dir": {"type": "path"},
    "fleet_sites": {"type": "dict"},
}


def execute(params, check_mode=False, diff=False):
    """(result, error message or None): the action plugin and main() share this."""
    if not params["path"]:
        return {}, "Failed to start the rollout: no release file given. Run with -e release=releases/<name>.yml"
    if params["sites"] is None:
        return {}, "Failed to validate release file %s: sites is required outside the action plugin" % params["path"]
    path = os.path.realpath(params["path"])
    reports_dir = params["reports_dir"] or os.path.join(os.getcwd(), "reports")
    journal_dir = params["journal_dir"] or os.path.join(reports_dir, "journal")
    try:
        result = check_release_file(path, params["sites"], journal_dir, params["fleet_sites"])
    except ReleaseInvalid as e:
        return {"problems": e.problems}, str(e)
    result = dict(result, changed=False, path=path, reports_dir=reports_dir, journal_dir=journal_dir)
    return dict(result, summary=plan_summary(result)), None


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    finish(module, *execute(module.params, module.check_mode))


if __name__ == "__main__":
    main()
