# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's own logic inside the controller's worker instead of a new interpreter.

The rollout's modules act from the controller anyway (the kube_api hosts and localhost use a
local connection), so starting an interpreter, shipping an AnsiballZ payload and re-importing
the clients per task is pure overhead. The module file keeps its documentation, argument spec
and a main() that runs the same execute() function, so both paths give the same result.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class InProcessAction(ActionBase):
    """Subclasses set `argument_spec` (a callable returning the spec) and `execute`."""

    TRANSFERS_FILES = False
    _requires_connection = False
    validation_kwargs = {}

    @staticmethod
    def argument_spec():
        raise NotImplementedError

    @staticmethod
    def execute(params, check_mode, diff):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=self.argument_spec(),
                                                          **self.validation_kwargs)
        # The validated parameters, for a subclass that acts on them after the module's logic.
        self.params = params
        outcome, error = self.execute(params, self._task.check_mode, self._task.diff)
        result.update(outcome)
        result.setdefault("changed", False)
        if not self._task.diff:
            result.pop("diff", None)
        if error:
            result["failed"] = True
            result["msg"] = error
        return result
