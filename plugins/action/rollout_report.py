# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run rollout_report in the controller's worker (see plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_report import ARGUMENT_SPEC, execute, shown
from ansible_collections.gpufleet.datacenter.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    argument_spec = staticmethod(lambda: ARGUMENT_SPEC)
    execute = staticmethod(execute)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # The end of a run reads as the report itself, printed here rather than by a debug task.
        if result.get("table") and getattr(self, "params", {}).get("show"):
            Display().display("\n".join(shown(result)))
        if result.get("failed"):
            result.pop("table", None)
        return result
