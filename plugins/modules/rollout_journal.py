#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollout_journal
short_description: Record a release rollout's progress, per site, in its journal
version_added: 1.0.0
description:
  - Keeps one JSON journal per release (per site - versions before and after, status, phase
    timings, gate results, failure diagnosis) so that re-running a release resumes it.
  - Without O(site), creates the journal for O(release) if there is none. With O(site), applies one
    event to that site's entry.
  - Every update happens under an exclusive lock (sites of one wave write in parallel) and is written
    to a temporary file that is renamed over the journal, so an interruption at any moment leaves the
    previous or the new journal, never a partial one.
  - The site's O(before) is recorded only once per release; a resumed run keeps the rollback target
    recorded before the site was first touched.
  - An event that changes nothing writes nothing and reports C(changed=false).
author:
  - gpufleet maintainers (@gpufleet)
attributes:
  check_mode:
    support: full
    description: Computes the journal that would result and writes nothing.
  diff_mode:
    support: full
    description: Shows the site's journal entry before and after the event.
options:
  path:
    description: The journal file (see the RV(gpufleet.datacenter.release_check#module:journal) return value).
    type: path
    required: true
  release:
    description: Release name; required to create the journal.
    type: str
  fingerprint:
    description: Release content fingerprint; required to create the journal.
    type: str
  plan:
    description: The rollout plan from M(gpufleet.datacenter.release_check), kept for the report.
    type: dict
  site:
    description: Site whose entry the event updates.
    type: str
  host:
    description: The C(kube_api) host of O(site).
    type: str
  status:
    description: New status of the site.
    type: str
    choices: [pending, deploying, deployed, verified, failed, rolling_back, rolled_back, rollback_failed]
  before:
    description: Per model, what ran before the rollout (version, image, replicas...). Recorded only once.
    type: dict
  after:
    description:
      - Per model, what runs after this step; a list of models (each with C(name)) is turned into a
        mapping by model name with C(exists=true).
    type: raw
  gates:
    description: Health gate results, each with C(name), C(ok) and C(detail).
    type: list
    elements: dict
  diagnosis:
    description: Why the site failed, kept for the report.
    type: str
  clear_diagnosis:
    description: Forget an earlier failure's diagnosis (the site has since succeeded).
    type: bool
    default: false
  phase:
    description: Phase whose timing the event marks.
    type: str
    choices: [preflight, deploy, gate, rollback]
  phase_state:
    description: Whether O(phase) starts or finishes with this event.
    type: str
    choices: [started, finished]
  run_lock:
    description:
      - Without O(site), also take the release's run lock for the running C(ansible-playbook) process;
        a second run of the same release on this controller is refused, naming the first, while that
        process lives. A lock whose process is gone (a killed run) is taken over with a warning.
        M(gpufleet.datacenter.rollout_report) gives the lock back at the end of the run.
      - Works through the action plugin (the default), which runs inside the C(ansible-playbook) process tree.
    type: bool
    default: false
  paused_after:
    description:
      - Without O(site), mark the release paused after the batch with this label (C(policy.pause_after)),
        or resume it with an empty string. The journal must exist unless O(release) and O(fingerprint) are given.
    type: str
"""

EXAMPLES = r"""
- name: Create the release journal
  gpufleet.datacenter.rollout_journal:
    path: "{{ __rollout_release.journal }}"
    release: "{{ __rollout_release.release.name }}"
    fingerprint: "{{ __rollout_release.fingerprint }}"
    plan: "{{ __rollout_release.plan }}"

- name: Record that the site is being deployed
  gpufleet.datacenter.rollout_journal:
    path: "{{ __rollout_release.journal }}"
    site: "{{ gpufleet_site }}"
    status: deploying
    before: "{{ __rollout_preflight.decision.before }}"
    phase: deploy
    phase_state: started
"""

RETURN = r"""
journal:
  description: The journal after the update.
  returned: always
  type: dict
  sample: {release: chat-2026-11, sites: {eu-west: {status: verified, before: {chat-llm: {version: "2.0.0"}}}}}
entry:
  description: The site's entry after the update (when O(site) is given).
  returned: when site is given
  type: dict
  sample: {status: deploying, before: {chat-llm: {version: "2.0.0"}}, phases: {deploy: {started: "2026-11-25T12:00:00.000000Z"}}}
"""

import os
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.datacenter.plugins.module_utils.module_exit import finish
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store, run_lock
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError, RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import (
    PHASES, STATUSES, apply_event, desired_by_model, iso, new_journal)

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "release": {"type": "str"},
    "fingerprint": {"type": "str"},
    "plan": {"type": "dict"},
    "site": {"type": "str"},
    "host": {"type": "str"},
    "status": {"type": "str", "choices": list(STATUSES)},
    "before": {"type": "dict"},
    "after": {"type": "raw"},
    "gates": {"type": "list", "elements": "dict"},
    "diagnosis": {"type": "str"},
    "clear_diagnosis": {"type": "bool", "default": False},
    "phase": {"type": "str", "choices": list(PHASES)},
    "phase_state": {"type": "str", "choices": ["started", "finished"]},
    "paused_after": {"type": "str"},
    "run_lock": {"type": "bool", "default": False},
}
EVENT_KEYS = ("host", "status", "before", "after", "gates", "diagnosis", "clear_diagnosis", "phase", "phase_state")


def by_model(value):
    """A list of deployed models (as resolved for the site) becomes {name: state}."""
    if isinstance(value, list):
        return desired_by_model(value)
    return value


def set_pause(journal, paused_after):
    """Mark the release paused after a batch (a label), resume it (empty string), or leave it (None)."""
    if paused_after is None:
        return journal
    result = dict(journal)
    if paused_after:
        result["paused"] = {"after": paused_after}
    else:
        result.pop("paused", None)
    return result


def mutation(params, now, check_mode=False):
    """The function journal_store.update applies under its lock."""
    def mutate(current):
        if params["site"] is None:
            if current is not None:
                if params["fingerprint"] and current.get("fingerprint") != params["fingerprint"]:
                    raise JournalError("create", "journal %s" % params["path"],
                                       "it belongs to another content of release %s (fingerprint %s)"
                                       % (current.get("release"), current.get("fingerprint")), release=params["release"])
                return set_pause(current, params["paused_after"])
            if not params["fingerprint"]:
                raise JournalError("update", "journal %s" % params["path"], "it does not exist; create it first")
            return set_pause(new_journal(params["release"], params["fingerprint"], params["plan"] or {}, iso(now),
                                         path=os.path.abspath(params["path"])), params["paused_after"])
        if current is None and check_mode:
            # --check never created the journal; show the event against an empty one.
            current = new_journal(params["release"] or "", params["fingerprint"] or "", {}, iso(now))
        if current is None:
            raise JournalError("update", "journal %s" % params["path"], "it does not exist; create it first",
                               site=params["site"])
        event = {k: params[k] for k in EVENT_KEYS}
        event["after"] = by_model(event["after"])
        return apply_event(current, params["site"], event, now)
    return mutate


REQUIRED_BY = {"phase_state": "phase"}


def execute(params, check_mode=False, diff=False):
    """(result, error message or None): the action plugin and main() share this."""
    if params["after"] is not None and not isinstance(params["after"], (dict, list)):
        return {}, ("Failed to update the journal %s at site %s: after must be a mapping or a list of models"
                    % (params["path"], params["site"]))
    if params["site"] is None and params["paused_after"] is None and not (params["release"] and params["fingerprint"]):
        return {}, ("Failed to create the journal %s: release and fingerprint are required without site"
                    % params["path"])
    now = datetime.now(timezone.utc)
    warnings = []
    try:
        if params["run_lock"] and params["site"] is None and not check_mode:
            # The action plugin runs in a worker forked by ansible-playbook: the parent is the run.
            note = run_lock.acquire(params["path"], params["release"] or "", os.getppid(), iso(now))
            warnings += [note] if note else []
        before, after, changed = journal_store.update(params["path"], mutation(params, now, check_mode),
                                                      check_mode=check_mode)
    except RolloutError as e:
        return {}, str(e)
    result = {"changed": changed, "journal": after}
    if warnings:
        result["warnings"] = warnings
    if params["site"]:
        result["entry"] = after["sites"][params["site"]]
    if diff and changed:
        site = params["site"]
        result["diff"] = {
            "before": journal_store.dumps((before or {}).get("sites", {}).get(site) or {}) if site else "",
            "after": journal_store.dumps(after["sites"][site]) if site else journal_store.dumps(after),
            "before_header": "%s (site %s)" % (params["path"], site) if site else "(absent)",
            "after_header": "%s (site %s)" % (params["path"], site) if site else params["path"],
        }
    return result, None


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_by=REQUIRED_BY)
    finish(module, *execute(module.params, module.check_mode, module._diff))


if __name__ == "__main__":
    main()
