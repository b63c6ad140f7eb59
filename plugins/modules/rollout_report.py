#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_report
short_description: Write a release rollout's report (Markdown and JSON) and return its summary table
version_added: 1.0.0
description:
  - Builds the report of a release rollout from its journal and from what every site runs at the
    end of the run - per site the batch, status, versions before and after, what runs now, seconds
    per phase (preflight, deploy, gate, rollback), gate results and the failure diagnosis.
  - Writes C(report.json) and C(report.md) into O(dest)/<release>/, each atomically and only when its
    content changed (the report holds no timestamp of its own), so a no-op re-run reports
    C(changed=false).
  - Returns a short fixed-width table for the end of the run and, for a failed run, a summary that
    says which site is on which version.
  - The files are readable by their owner only (0600, in a 0700 directory), and the report directory is
    confined to O(dest). At the end of the run it gives back the release's run lock taken by
    M(gpufleet.datacenter.rollout_journal) with C(run_lock=true).
author:
  - gpufleet maintainers (@gpufleet)
attributes:
  check_mode:
    support: full
    description: Builds the report and the table, writes no file.
  diff_mode:
    support: none
    description: Report files are written whole; no diff is shown.
options:
  release_check:
    description:
      - The result of M(gpufleet.datacenter.release_check) for the release. O(journal), O(dest) (its
        C(reports_dir)) and O(desired) are taken from it, and none of them is then given.
      - When O(sites) is omitted too, the action plugin reads each host of the plan's latest read of its
        site (C(__rollout_rollback), else C(__rollout_site), else C(__rollout_preflight); see the
        P(gpufleet.datacenter.last_read#filter) filter).
    type: dict
  journal:
    description: The release journal. Required unless O(release_check) is given.
    type: path
  dest:
    description:
      - The reports directory; the files go into a sub-directory named after the release.
      - Required unless O(release_check) is given.
    type: path
  sites:
    description:
      - What each site runs at the end of the run, as returned by M(gpufleet.datacenter.rollout_preflight)
        (C(site), C(reachable), C(current), C(at_release)).
      - Required unless O(release_check) is given to the action plugin, which then reads them.
    type: list
    elements: dict
  desired:
    description: The release's models (C(name), C(version)), shown on top of the report as the target.
    type: list
    elements: dict
  commands:
    description:
      - What to run next while the release is not complete, by purpose (for example C(resume),
        C(roll back), C(promote)); shown in the report and in RV(summary).
    type: dict
  metrics_dir:
    description:
      - Also write the report as Prometheus metrics (C(gpufleet_rollout_*), see C(docs/monitoring.md)) to
        C(gpufleet_rollout_<release>.prom) in this directory, the node exporter's textfile collector
        directory. Not written in check mode. Needs the C(prometheus-client) Python library.
    type: path
  report_files:
    description:
      - Write C(report.json) and C(report.md) and give the release's run lock back, as at the end of a rollout.
      - V(false) builds the report without writing its files and leaves the run lock alone, so that a read-only
        playbook (C(status.yml), C(verify.yml)) writes only the O(metrics_dir) file.
    type: bool
    default: true
  rolling:
    description:
      - This run is about to roll the release out (C(rollout.yml), before the first change). As with
        O(report_files=false) no report file is written and the run lock is left alone; the O(metrics_dir)
        file says the release is in progress, so the fleet's drift alert stays quiet from the first change
        on. The report at the end of the run writes the file again with the outcome.
    type: bool
    default: false
  show:
    description:
      - Print the table, the report files and, for a paused release, how to continue, as the task's
        output (the action plugin that runs this module in the controller prints them).
    type: bool
    default: false
  fail_unless_complete:
    description:
      - Fail, with RV(summary) as the message, unless the release is complete and every site runs it
        (no drift, none unreachable). A release paused by C(policy.pause_after) is the operator's gate,
        not a failure. Never fails in check mode.
      - The failed result holds C(status), C(files) and C(metrics_file) beside the message; the table
        is printed by O(show).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write the rollout report
  gpufleet.datacenter.rollout_report:
    journal: "{{ __rollout_release.journal }}"
    dest: reports
    sites: "{{ groups['kube_api'] | map('extract', hostvars, '__rollout_final') | list }}"
  register: __rollout_report

- name: Write and show the rollout report of the release planned on localhost; fail unless every site runs it
  gpufleet.datacenter.rollout_report:
    # The journal, the reports directory, the target and each site's latest read, from the plan.
    release_check: "{{ __rollout_release }}"
    show: true
    fail_unless_complete: true
"""

RETURN = r"""
report:
  description: The report document (also written as report.json).
  returned: success
  type: dict
  sample: {release: chat-2026-11, status: complete, canary: eu-west, drift: [], unreachable: [],
           sites: [{site: eu-west, batch: canary, status: verified, versions_before: chat-llm=2.0.0,
                    versions_after: chat-llm=2.1.0, running_now: chat-llm=2.1.0, phases_seconds: {deploy: 8.2}}]}
status:
  description: C(complete), C(failed), C(in_progress) or C(not_started).
  returned: success
  type: str
  sample: complete
table:
  description: The summary table, one line per site, then a status line.
  returned: success
  type: list
  elements: str
  sample: ["SITE     BATCH   STATUS    BEFORE          AFTER           RUNNING NOW     DEPLOY  GATE",
           "eu-west  canary  verified  chat-llm=2.0.0  chat-llm=2.1.0  chat-llm=2.1.0  8.2s    0.4s",
           "release chat-2026-11: complete"]
summary:
  description: One line per site saying which version it runs and its journal status.
  returned: success
  type: str
  sample: "Rollout of release chat-2026-11 failed. Sites now:\n  eu-west: chat-llm=2.0.0 (journal: rolled_back)"
files:
  description: The report files (none when O(report_files=false)).
  returned: success
  type: list
  elements: str
  sample: [reports/chat-2026-11/report.json, reports/chat-2026-11/report.md]
metrics_file:
  description: The metrics file written, when O(metrics_dir) is set and not in check mode.
  returned: success
  type: str
  sample: /var/lib/prometheus/node-exporter/gpufleet_rollout_chat-2026-11.prom
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import run_lock
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.from_plan import REPORT_OPTIONS, report_args
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.metrics import write_metrics
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.report import failure_summary, table
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.report_files import write_report

ARGUMENT_SPEC = {
    "release_check": {"type": "dict"},
    "journal": {"type": "path"},
    "dest": {"type": "path"},
    "sites": {"type": "list", "elements": "dict"},
    "desired": {"type": "list", "elements": "dict"},
    "commands": {"type": "dict"},
    "metrics_dir": {"type": "path"},
    "report_files": {"type": "bool", "default": True},
    "rolling": {"type": "bool", "default": False},
    "show": {"type": "bool", "default": False},
    "fail_unless_complete": {"type": "bool", "default": False},
}


# The plan gives these options whole; a task gives either the plan or them.
VALIDATION = {"mutually_exclusive": [["release_check", option] for option in REPORT_OPTIONS],
              "required_one_of": [["release_check", "journal"], ["release_check", "dest"]]}


def incomplete(report):
    """Whether the release is not complete everywhere (pure); a paused release is a gate, not a failure."""
    if report["status"] == "paused":
        return False
    return bool(report["status"] != "complete" or report["drift"] or report["unreachable"])


def shown(result):
    """The lines `show` prints: the table, the report files, and for a paused release how to continue."""
    lines = list(result.get("table") or [])
    if result.get("files"):
        lines.append("report: " + ", ".join(result["files"]))
    if result.get("status") == "paused":
        lines += (result.get("summary") or "").splitlines()
    return lines


def execute(params, check_mode=False, diff=False):
    """(result, error message or None): the action plugin and main() share this."""
    if params.get("release_check"):
        params = dict(params, **report_args(params["release_check"]))
    if params.get("sites") is None:
        return {}, "Failed to report on release journal %s: sites is required outside the action plugin" % params["journal"]
    rolling = params.get("rolling", False)
    report_files = params.get("report_files", True) and not rolling
    # Without report files the module only reads (status.yml, verify.yml): the report is built as in
    # check mode, and the run lock, held by a rollout that may be running now, is not its to give back.
    read_only = check_mode or not report_files
    try:
        written = write_report(params["journal"], params["dest"], params["sites"], read_only, params["desired"],
                               params["commands"])
        metrics_file = None
        if params.get("metrics_dir") and not check_mode:
            # Before the first change the journal says pending (not started): the run is what is in progress.
            metrics_file = write_metrics(params["metrics_dir"], dict(written["report"], status="in_progress")
                                         if rolling else written["report"])
    except RolloutError as e:
        return {}, str(e)
    finally:
        if not read_only:
            # The end of the run: the release's run lock (rollout_journal run_lock) goes back.
            run_lock.release_lock(params["journal"], os.getppid())
    report = written["report"]
    result = {"changed": bool(written["changed_files"]) if report_files else False, "report": report,
              "status": report["status"], "table": table(report), "summary": failure_summary(report),
              "files": written["files"] if report_files else [], "metrics_file": metrics_file}
    if params.get("fail_unless_complete") and not check_mode and incomplete(report):
        # Lean: a failed task prints its whole result, and `show` has printed the table already.
        return {key: result[key] for key in ("changed", "status", "files", "metrics_file", "table")}, result["summary"]
    return result, None


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **VALIDATION)
    finish(module, *execute(module.params, module.check_mode))


if __name__ == "__main__":
    main()
