#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: site_plan
short_description: Validate a GPU fleet's site plan before anything is changed
version_added: 1.0.0
description:
  - Checks the site inventory model of C(gpufleet.datacenter) - every site's network plan, server
    quorum and rollout wave - and reports all problems at once.
  - Every CIDR must parse without host bits; a site's host, pod and service CIDRs must not overlap;
    no host, pod or service CIDR of one site may cover or overlap any of another site's; every machine
    address must be unique and lie in its site's host CIDR; a site's server endpoint (VIP) and the
    address in its C(gpufleet_kube_api) may be a k3s server of that site but no other machine's address;
    no two sites may share an API URL, or a kubeconfig with the same context; a site that runs k3s must
    have an odd number of servers; every site has exactly one host in C(kube_api); two inventory groups
    may not set the same C(gpufleet_site); rollout waves must be contiguous from 1; the required site
    variables must be set.
  - A C(group_vars) or C(host_vars) file that does not parse is reported with its path, line and column,
    with the other sites still checked in the same run.
  - Each error names the site, the host or the field, and the conflicting value.
  - When O(sites) is omitted, the action plugin reads the plan from the inventory - every host under
    the C(sites) group, its C(gpufleet_*) site variables, its C(ansible_host) and its membership of the
    C(k3s_server), C(k3s_agent), C(gpu) and C(kube_api) groups.
  - Nothing is changed on any host.
author:
  - gpufleet maintainers (@gpufleet)
requirements:
  - netaddr
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  sites:
    description:
      - Site variables by site name, each a mapping of the C(gpufleet_*) variables of that site
        (C(gpufleet_region), C(gpufleet_kube_api), C(gpufleet_kubeconfig), C(gpufleet_kube_context),
        C(gpufleet_network), C(gpufleet_gpu), C(gpufleet_rollout_wave)).
      - Read from the inventory when omitted.
    type: dict
  hosts:
    description:
      - The inventory hosts under C(sites).
      - Read from the inventory when O(sites) is omitted.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Inventory host name.
        type: str
        required: true
      site:
        description: The site the host belongs to (its C(gpufleet_site)).
        type: str
        required: true
      address:
        description: The host's address (C(ansible_host)). Needed for hosts in C(k3s_server), C(k3s_agent) or C(gpu).
        type: str
      groups:
        description: The role groups the host is in (C(k3s_server), C(k3s_agent), C(gpu), C(kube_api)).
        type: list
        elements: str
        default: []
      group:
        description:
          - The inventory group under C(sites) the host belongs to (its datacenter's group).
          - Two groups whose hosts carry the same C(gpufleet_site) are an error.
        type: str
"""

EXAMPLES = r"""
- name: Validate the site plan of the whole inventory
  gpufleet.datacenter.site_plan:

- name: Validate an explicit plan
  gpufleet.datacenter.site_plan:
    sites:
      eu-west:
        gpufleet_region: europe-west
        gpufleet_kube_api: https://10.10.0.10:6443
        gpufleet_kubeconfig: /etc/gpufleet/eu-west.kubeconfig
        gpufleet_network:
          host_cidr: 10.10.0.0/24
          pod_cidr: 10.42.0.0/16
          service_cidr: 10.43.0.0/16
          server_endpoint: 10.10.0.10
        gpufleet_gpu:
          product: NVIDIA-H100-80GB-HBM3
          count_per_node: 8
        gpufleet_rollout_wave: 1
    hosts:
      - name: api-eu-west
        site: eu-west
        groups: [kube_api]
      - name: eu-west-gpu-01
        site: eu-west
        address: 10.10.0.11
        groups: [k3s_server, gpu]
"""

RETURN = r"""
sites:
  description: The validated plan by site - region, wave and the machines in each role.
  returned: success
  type: dict
  sample:
    eu-west:
      region: europe-west
      wave: 1
      servers: [eu-west-gpu-01]
      agents: []
      gpu_hosts: [eu-west-gpu-01]
errors:
  description: Every problem found, each naming the site, host or field and the offending value.
  returned: always
  type: list
  elements: str
  sample:
    - "site us-east: gpufleet_network.pod_cidr 10.42.0.0/16 overlaps site eu-west gpufleet_network.pod_cidr 10.42.0.0/16"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.site_plan import (
    HAS_NETADDR,
    NETADDR_IMPORT_ERROR,
    summarize,
    validate_plan,
)

ARGUMENT_SPEC = dict(
    sites=dict(type="dict"),
    hosts=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            name=dict(type="str", required=True),
            site=dict(type="str", required=True),
            address=dict(type="str"),
            groups=dict(type="list", elements="str", default=[]),
            group=dict(type="str"),
        ),
    ),
)


def execute(params, errors=None):
    """(result, error message or None) for the given plan: the action plugin and main() share this.

    errors: problems already found while reading the plan (the action plugin's inventory read).
    """
    if not HAS_NETADDR:
        return {"exception": NETADDR_IMPORT_ERROR}, missing_required_lib("netaddr")
    sites = params["sites"] or {}
    hosts = params["hosts"] or []
    errors = list(errors or []) + validate_plan(sites, hosts)
    if errors:
        return {"changed": False, "errors": errors}, "Site plan has %d error(s):\n%s" % (len(errors), "\n".join(errors))
    return {"changed": False, "sites": summarize(sites, hosts), "errors": []}, None


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    finish(module, *execute(module.params))


if __name__ == "__main__":
    main()
