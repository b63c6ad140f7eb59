# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wave planning: the order in which sites roll, as batches a play can run with `serial`.

The first batch is the canary alone; then each wave in order without the canary. A play gets
`hosts:` in batch order and `serial:` as the batch sizes (Ansible keeps pattern order), so
sites within a wave roll in parallel and a wave starts only after the previous one passed.
"""

from __future__ import annotations

from typing import Any, Dict, List


def site_order(sites: Dict[str, Dict[str, Any]]) -> List[str]:
    """Sites by inventory rollout wave, then name: the order a rollout and an upgrade both follow."""
    return sorted(sites, key=lambda s: (sites[s].get("wave") or 0, s))


def _waves(policy: Dict[str, Any], sites: Dict[str, Dict[str, Any]]) -> List[List[str]]:
    if policy.get("waves"):
        return [list(wave) for wave in policy["waves"]]
    ordered = site_order(sites)
    if policy.get("sites_per_wave"):
        size = policy["sites_per_wave"]
        return [ordered[i:i + size] for i in range(0, len(ordered), size)]
    by_wave: Dict[int, List[str]] = {}
    for site in ordered:
        by_wave.setdefault(sites[site]["wave"], []).append(site)
    return [by_wave[number] for number in sorted(by_wave)]


def coverage_problems(sites: List[Dict[str, Any]], fleet: Dict[str, List[str]]) -> List[str]:
    """Every site of the fleet stands for exactly one kube_api host, or it is named (pure): the one
    rule of site_plan (validate.yml) and release_check (every rollout).

    sites: the kube_api hosts ({name: site, host}); fleet: every site the inventory knows with its
    hosts. A site no plan can reach would otherwise be left out of a rollout that then ends "complete".
    """
    problems = []
    api_hosts: Dict[str, List[str]] = {}
    for site in sites:
        api_hosts.setdefault(site["name"], []).append(site["host"])
    for name in sorted(set(fleet) | set(api_hosts)):
        found = sorted(api_hosts.get(name, []))
        if not found:
            problems.append("site %s: no host in the kube_api group (its hosts: %s); exactly one host per site "
                            "stands for its Kubernetes API, without it the site is left out of every rollout"
                            % (name, ", ".join(sorted(fleet.get(name) or [])) or "none"))
        elif len(found) > 1:
            problems.append("site %s: %d hosts in the kube_api group (%s); exactly one host per site stands for "
                            "its Kubernetes API" % (name, len(found), ", ".join(found)))
    return problems


def plan_batches(policy: Dict[str, Any], sites: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Batches of site names, the hosts in play order and the `serial` sizes.

    `sites` maps site name to {host, wave}; the policy is a validated release policy.
    """
    waves = _waves(policy, sites)
    canary = policy.get("canary") or waves[0][0]
    batches = [[canary]] + [[s for s in wave if s != canary] for wave in waves]
    batches = [batch for batch in batches if batch]
    labels = ["canary"] + ["wave %d" % n for n, wave in enumerate(waves, 1) if [s for s in wave if s != canary]]
    return {
        "canary": canary,
        "waves": waves,
        "batches": [{"label": label, "sites": batch} for label, batch in zip(labels, batches)],
        "hosts": [sites[s]["host"] for batch in batches for s in batch],
        "serial": [len(batch) for batch in batches],
    }


def upgrade_order(hosts: List[Dict[str, Any]], groups: Dict[str, List[str]], batch: int) -> Dict[str, Any]:
    """A rolling upgrade's order: site by site in rollout order; within a site, hosts in inventory order.

    hosts: [{name, site, wave}] in inventory order. Returns the k3s servers, the agents with their
    batch sizes (never mixing two sites in a batch), and the GPU hosts.
    """
    batch = max(1, int(batch))
    sites: Dict[str, Dict[str, Any]] = {}
    for host in hosts:
        sites.setdefault(host["site"], {"wave": host.get("wave")})
    plan: Dict[str, Any] = {"servers": [], "agents": [], "agent_serial": [], "gpu": []}
    for site in site_order(sites):
        in_site = [h["name"] for h in hosts if h["site"] == site]
        agents = [n for n in in_site if n in groups.get("k3s_agent", [])]
        plan["servers"] += [n for n in in_site if n in groups.get("k3s_server", [])]
        plan["agents"] += agents
        plan["gpu"] += [n for n in in_site if n in groups.get("gpu", [])]
        plan["agent_serial"] += [batch] * (len(agents) // batch) + ([len(agents) % batch] if len(agents) % batch else [])
    plan["agent_serial"] = plan["agent_serial"] or [1]
    return plan
