# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run rollout_site in the controller's worker: no interpreter start-up and no client import per
site, and progress lines reach the operator through Ansible's display while the site waits."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_site import argument_spec, execute

display = Display()


def say(line):
    display.display("  " + line)


class ActionModule(ActionBase):
    """The kube_api host stands for the site's API: everything happens on the controller."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=argument_spec())
        outcome, error = execute(params, self._task.check_mode, progress=say)
        result.update(outcome)
        if error:
            result["failed"] = True
            result["msg"] = error
        elif outcome.get("cause"):
            result["msg"] = outcome["cause"]
        if not self._task.diff:
            result.pop("diff", None)
        return result
