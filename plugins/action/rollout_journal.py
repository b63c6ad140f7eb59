# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run rollout_journal in the controller's worker (see plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_journal import ARGUMENT_SPEC, REQUIRED_BY, execute
from ansible_collections.gpufleet.datacenter.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    validation_kwargs = {"required_by": REQUIRED_BY}
    argument_spec = staticmethod(lambda: ARGUMENT_SPEC)
    execute = staticmethod(execute)
