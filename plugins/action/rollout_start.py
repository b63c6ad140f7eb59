# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rollout_start: stop on any site's preflight problem, else print the plan, open the journal and
decide which sites this run deploys to. In Python rather than three templated tasks: reading every
site's result through Jinja (`map('extract', hostvars)`) cost more than the rest of a no-op re-run."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import plan_sites
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan_table import plan_rows, render
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.start import (
    problems_message, site_problems, todo_plan)
from ansible_collections.gpufleet.datacenter.plugins.modules import rollout_journal, rollout_report
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_start import ARGUMENT_SPEC


def module_params(module, **given):
    """A module's parameters: its defaults, then what this step gives."""
    params = {name: spec.get("default") for name, spec in module.ARGUMENT_SPEC.items()}
    params.update(given)
    return params


def start(params, preflights, check_mode):
    """The step's result: failed with every problem, or the plan table, the journal and the todo."""
    check = params["release_check"]
    plan = check["plan"]
    hosts = plan["hosts"]
    sites = dict(plan_sites(plan))
    if isinstance(preflights, dict):
        # Every site read at once, by host.
        preflights = [preflights.get(host) for host in hosts]
    padded = list(preflights) + [None] * (len(hosts) - len(preflights))
    problems = [p for host, pre in zip(hosts, padded) for p in site_problems(host, sites.get(host), pre)]
    result = {"changed": False, "problems": problems}
    if problems:
        return dict(result, failed=True, msg=problems_message(check["release"]["name"], problems))
    by_site = {p["site"]: p for p in preflights if isinstance(p, dict) and p.get("site")}
    table = render(plan_rows(plan, check["site_models"], by_site, check["release"]["policy"]["max_surge"]))
    result["plan_table"] = table
    outcome, error = rollout_journal.execute(module_params(
        rollout_journal, path=check["journal"], release=check["release"]["name"], fingerprint=check["fingerprint"],
        plan=plan,
        # A second run of this release on this controller stops here while this one lives.
        run_lock=True, paused_after="" if params["promote"] else None), check_mode)
    if error:
        return dict(result, failed=True, msg=error)
    journal = outcome["journal"]
    result.update(changed=outcome["changed"], journal=journal,
                  todo=todo_plan(plan, preflights, "paused" in journal, params["promote"]))
    if params.get("metrics_dir") and result["todo"]["hosts"] and not check_mode:
        # Before the first change, through the report's own writer: the drift alert stays quiet.
        marked, error = rollout_report.execute(module_params(
            rollout_report, journal=check["journal"], dest=check["reports_dir"], desired=check["desired"],
            sites=[p for p in preflights if isinstance(p, dict)], metrics_dir=params["metrics_dir"], rolling=True))
        if error:
            return dict(result, failed=True, msg=error)
        result["metrics_file"] = marked["metrics_file"]
    if outcome.get("warnings"):
        result["warnings"] = outcome["warnings"]
    return result


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        preflights = params["preflight"]
        if preflights is None:
            hostvars = (task_vars or {}).get("hostvars") or {}
            preflights = [hostvars[h].get(params["preflight_register"]) if h in hostvars else None
                          for h in params["release_check"]["plan"]["hosts"]]
        result.update(start(params, preflights, self._task.check_mode))
        if result.get("plan_table"):
            Display().display("\n".join("  " + line for line in result["plan_table"]))
        return result
