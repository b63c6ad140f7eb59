# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run rollout_site in the controller's worker (see plugin_utils/in_process.py): no interpreter
start-up and no client import per site, and progress lines reach the operator through Ansible's
display while the site waits."""

from __future__ import annotations

from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_site import argument_spec, execute
from ansible_collections.gpufleet.datacenter.plugins.plugin_utils.in_process import InProcessAction

display = Display()


def say(line):
    display.display("  " + line)


class ActionModule(InProcessAction):
    argument_spec = staticmethod(argument_spec)
    execute = staticmethod(lambda params, check_mode, diff: execute(params, check_mode, progress=say))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # A failed site does not fail the task (the playbook stops the batch); its cause is the message.
        if not result.get("failed") and result.get("cause"):
            result["msg"] = result["cause"]
        return result
