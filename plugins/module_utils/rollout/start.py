# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Between preflight and the first change: every site's problems in one message, and which sites
this run deploys to, batch by batch (pure)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import plan_sites


def site_problems(host: str, site: Optional[str], result: Optional[Dict[str, Any]]) -> List[str]:
    """A site's preflight problems, or one naming the site when its preflight never ran."""
    if isinstance(result, dict) and "problems" in result:
        return list(result["problems"])
    return ["site %s was not preflighted (host %s failed or unreachable)" % (site or host, host)]


def problems_message(release: str, problems: List[str]) -> str:
    """The one message that stops the run, listing every problem of every site."""
    return "\n".join(["Failed to start the rollout of release %s: %d preflight problem(s); no site was changed."
                      % (release, len(problems))] + ["  - %s" % p for p in problems])


def todo_plan(plan: Dict[str, Any], preflights: List[Any], paused: bool = False,
              promote: bool = False) -> Dict[str, List[Any]]:
    """{hosts, serial}: the sites this run deploys to, in batch order, and the batch sizes.

    A site its preflight decided to skip (done and verified) is left out, and a batch left empty
    goes, so a no-op re-run starts no rollout play at all. While the release is paused and not
    promoted, nothing rolls.
    """
    deploy = {p["site"] for p in preflights if isinstance(p, dict) and p.get("site")
              and (p.get("decision") or {}).get("action") == "deploy"}
    if paused and not promote:
        return {"hosts": [], "serial": []}
    hosts, serial = [], []
    host_of = {site: host for host, site in plan_sites(plan)}
    for batch in plan["batches"]:
        todo = [host_of[s] for s in batch["sites"] if s in deploy]
        if todo:
            hosts += todo
            serial.append(len(todo))
    return {"hosts": hosts, "serial": serial}
