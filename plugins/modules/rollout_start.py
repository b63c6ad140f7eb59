#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_start
short_description: Start a release's rollout after preflight, or stop with every site's problems
version_added: 1.0.0
description:
  - The step between the preflight of every site and the first change, in C(rollout.yml).
  - Stops the run, before anything is written, with one message listing every preflight problem of
    every site; a site whose preflight did not run (its task failed or its host was unreachable) is
    a problem too.
  - Otherwise prints the plan (site, batch, model, from -> to, action, replicas, GPUs needed and
    free), creates the release journal if there is none (M(gpufleet.datacenter.rollout_journal),
    with the run lock of the running C(ansible-playbook)), and returns which sites this run deploys
    to, batch by batch. A site done and verified by an earlier run of the release is left out; while
    the release is paused by C(policy.pause_after), no site is, unless O(promote) is set.
  - Runs on the controller as an action plugin; it reads each site's preflight result from the
    inventory hosts of the plan.
author:
  - gpufleet maintainers (@gpufleet)
attributes:
  check_mode:
    support: full
    description: Checks and prints the plan, writes no journal and takes no lock.
  diff_mode:
    support: none
    description: The journal's diff is M(gpufleet.datacenter.rollout_journal)'s; this step shows the plan instead.
options:
  release_check:
    description: The result of M(gpufleet.datacenter.release_check) for the release (its plan, models per site, journal).
    type: dict
    required: true
  preflight:
    description:
      - The M(gpufleet.datacenter.rollout_preflight) result of each host of the plan, in the plan's order.
      - Or every site's at once, by host, as one M(gpufleet.datacenter.rollout_preflight) of the whole plan
        returns them (its RV(gpufleet.datacenter.rollout_preflight#module:sites)).
      - When omitted, read from the variable O(preflight_register) of each host of the plan.
    type: raw
  preflight_register:
    description: The variable each host of the plan registered its M(gpufleet.datacenter.rollout_preflight) result in.
    type: str
    default: __rollout_preflight
  promote:
    description: Continue a release paused by C(policy.pause_after) (C(-e rollout_promote=true) in C(rollout.yml)).
    type: bool
    default: false
  metrics_dir:
    description:
      - Mark the release in progress in the fleet's rollout metrics before the first change, so the drift
        alert stays quiet while sites move (C(-e rollout_metrics_dir=DIR) in C(rollout.yml)). The directory
        is the node exporter's textfile collector directory; the file is written by
        M(gpufleet.datacenter.rollout_report)'s writer, as with its O(gpufleet.datacenter.rollout_report#module:rolling) option.
      - Written only when this run deploys to a site, never in check mode.
    type: path
notes:
  - The lock is given back by M(gpufleet.datacenter.rollout_report) at the end of the run.
"""

EXAMPLES = r"""
- name: Stop on any preflight problem, else show the plan, open the journal and pick the sites to deploy to
  gpufleet.datacenter.rollout_start:
    release_check: "{{ __rollout_release }}"
    # Every site's preflight, read at once by rollout_preflight with release_check alone.
    preflight: "{{ __rollout_preflight.sites }}"
    promote: "{{ rollout_promote | default(false) | bool }}"
  register: __rollout_start
"""

RETURN = r"""
plan_table:
  description: The plan as printed, one line per site and model, under a header.
  returned: success
  type: list
  elements: str
  sample: ["SITE    BATCH   MODEL     FROM -> TO        ACTION  REPLICAS  GPUS NEED/FREE",
           "eu-west canary  chat-llm  1.0.0 -> 2.0.0    update  2         3/12"]
journal:
  description: The release journal (as it would be, in check mode).
  returned: success
  type: dict
  sample: {release: chat-2026-11, sites: {}}
todo:
  description: The hosts this run deploys to, in rollout order, and the size of each batch (the play's C(serial)).
  returned: success
  type: dict
  sample: {hosts: [api-eu-west, api-us-east], serial: [1, 1]}
metrics_file:
  description: The rollout metrics file marked in progress, when O(metrics_dir) is set and this run deploys.
  returned: when written
  type: str
  sample: /var/lib/prometheus/node-exporter/gpufleet_rollout_chat-2026-11.prom
problems:
  description: Every site's preflight problems (the run stops when there is one).
  returned: always
  type: list
  elements: str
  sample: ["site us-east has no namespace llm and policy.create_namespace is false"]
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "release_check": {"type": "dict", "required": True},
    "preflight": {"type": "raw"},
    "preflight_register": {"type": "str", "default": "__rollout_preflight"},
    "promote": {"type": "bool", "default": False},
    "metrics_dir": {"type": "path"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="rollout_start runs on the controller as an action plugin (it reads other hosts' results)")


if __name__ == "__main__":
    main()
