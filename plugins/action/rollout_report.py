# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run rollout_report in the controller's worker (see plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import sites_read
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_report import ARGUMENT_SPEC, VALIDATION, execute, shown
from ansible_collections.gpufleet.datacenter.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    argument_spec = staticmethod(lambda: ARGUMENT_SPEC)
    execute = staticmethod(execute)
    validation_kwargs = VALIDATION

    def run(self, tmp=None, task_vars=None):
        check = self._task.args.get("release_check")
        if isinstance(check, dict) and self._task.args.get("sites") is None:
            # In Python rather than `map('extract', hostvars)` in every playbook that reports.
            # Sites this run did not step on keep their preflight: registered on each host, or all of
            # them on this host by one preflight of the whole plan.
            task_vars = task_vars or {}
            preflights = (task_vars.get("__rollout_preflight") or {}).get("sites")
            self._task.args = dict(self._task.args, sites=sites_read(check, task_vars.get("hostvars") or {}, preflights))
        result = super().run(tmp, task_vars)
        # The end of a run reads as the report itself, printed here rather than by a debug task.
        if result.get("table") and getattr(self, "params", {}).get("show"):
            Display().display("\n".join(shown(result)))
        if result.get("failed"):
            result.pop("table", None)
        return result
