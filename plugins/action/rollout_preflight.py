# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run rollout_preflight in the controller's worker (see plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_preflight import VALIDATION, argument_spec, execute
from ansible_collections.gpufleet.datacenter.plugins.plugin_utils.in_process import InProcessAction


def verdict(result):
    """`lab-eu: deploy - not started`, or the site's problems: one line per site for the operator."""
    if result.get("problems"):
        return "%s: PROBLEM: %s" % (result.get("site"), "; ".join(result["problems"]))
    decision = result.get("decision") or {}
    return "%s: %s - %s" % (result.get("site"), decision.get("action"), decision.get("reason"))


class ActionModule(InProcessAction):
    argument_spec = staticmethod(argument_spec)
    execute = staticmethod(execute)
    validation_kwargs = VALIDATION

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if not result.get("failed"):
            # One line per site, in the plan's order for every site at once.
            for read in (result["sites"].values() if "sites" in result else [result]):
                Display().display("  " + verdict(read))
        return result
