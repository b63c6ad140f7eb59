# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout journal as data: one JSON document per release, one entry per site.

Pure functions only; journal_store.py does the locked, atomic file I/O. An event that changes
nothing returns an equal document, so a completed release re-run writes nothing (changed=0).
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

# One grammar for release names; it also keeps the report directory, named after the release, in place.
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import redacted as env_redacted
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import RELEASE_NAME

SCHEMA = 1
STATUSES = ("pending", "deploying", "deployed", "verified", "failed", "rolling_back", "rolled_back",
            "rollback_failed")
# A site whose last run stopped in one of these did not finish: a re-run re-checks and finishes it.
UNFINISHED = ("deploying", "deployed", "failed", "rolling_back", "rolled_back", "rollback_failed")
PHASES = ("preflight", "deploy", "gate", "rollback")
PHASE_FOLLOWS = {"gate": "deploy"}


def new_journal(release: str, fingerprint: str, plan: Dict[str, Any], now: str,
                path: Optional[str] = None) -> Dict[str, Any]:
    journal = {"schema": SCHEMA, "release": release, "fingerprint": fingerprint, "created": now, "plan": plan,
               "sites": {}}
    if path:
        # Where it was written: a report or an operator reading a copy knows which file is the record.
        journal["path"] = path
    return journal


def shape_problems(journal: Any) -> List[str]:
    """What makes a loaded document not a journal this code can trust (pure); [] when it is one."""
    if not isinstance(journal, dict):
        return ["the document is a %s, not a JSON object" % type(journal).__name__]
    problems = []
    if journal.get("schema") != SCHEMA:
        problems.append("schema %r is not supported (this collection reads and writes schema %d)"
                        % (journal.get("schema"), SCHEMA))
    if not isinstance(journal.get("release"), str) or not RELEASE_NAME.match(journal.get("release") or ""):
        problems.append("release %r is not a release name" % (journal.get("release"),))
    sites = journal.get("sites")
    if not isinstance(sites, dict):
        return problems + ["sites is not a mapping of site names to entries"]
    for site, entry in sorted(sites.items()):
        if not isinstance(entry, dict):
            problems.append("sites.%s is not a mapping" % site)
        elif entry.get("status") not in STATUSES:
            problems.append("sites.%s.status %r is not one of %s" % (site, entry.get("status"), ", ".join(STATUSES)))
        elif not all(isinstance(entry.get(k), (dict, type(None))) for k in ("before", "after")):
            problems.append("sites.%s: before/after must be mappings" % site)
    return problems


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def apply_event(journal: Dict[str, Any], site: str, event: Dict[str, Any], now: datetime) -> Dict[str, Any]:
    """Return the journal with one site event applied.

    event keys (all optional): host, status, before (recorded only once: it is what a rollback
    returns to, so a resumed run must not overwrite it with a half-rolled state), after, gates,
    diagnosis, phase + phase_state (started|finished), phases ({phase: {started, finished} or None}),
    clear_diagnosis, note (appended to the site's notes, e.g. a lease taken over from a killed run).
    """
    result = copy.deepcopy(journal)
    entry = result["sites"].setdefault(site, {"status": "pending", "before": None, "after": None, "phases": {},
                                              "gates": [], "diagnosis": None})
    snapshot = copy.deepcopy(entry)
    if event.get("host"):
        entry["host"] = event["host"]
    if event.get("before") is not None and entry.get("before") is None:
        entry["before"] = event["before"]
    if event.get("after") is not None:
        entry["after"] = event["after"]
    if event.get("gates") is not None:
        entry["gates"] = event["gates"]
    if event.get("diagnosis"):
        entry["diagnosis"] = event["diagnosis"]
    elif event.get("clear_diagnosis"):
        entry["diagnosis"] = None
    if event.get("note"):
        entry.setdefault("notes", []).append({"at": iso(now), "note": event["note"]})
    if event.get("status"):
        if event["status"] not in STATUSES:
            raise ValueError("unknown status %r" % event["status"])
        entry["status"] = event["status"]
    for name, timing in (event.get("phases") or {}).items():
        _set_phase(entry["phases"], name, timing)
    phase = event.get("phase")
    if phase:
        timing = entry["phases"].setdefault(phase, {})
        if event.get("phase_state") == "started":
            entry["phases"][phase] = {"started": iso(now)}
        elif event.get("phase_state") == "finished":
            # The gates start when the deploy finished: one journal write fewer per site.
            previous = PHASE_FOLLOWS.get(phase)
            started = timing.get("started") or (entry["phases"].get(previous) or {}).get("finished")
            if started:
                timing.update(started=started, finished=iso(now),
                              seconds=round((now - parse_iso(started)).total_seconds(), 3))
    if entry != snapshot:
        entry["updated"] = iso(now)
    return result


def _set_phase(phases: Dict[str, Any], name: str, timing: Optional[Dict[str, Any]]) -> None:
    """Exact timestamps from the site step: `started` begins the phase afresh (a re-run must not
    measure from an earlier run's start), `finished` closes it, None forgets an earlier run's timing."""
    if name not in PHASES:
        raise ValueError("unknown phase %r" % name)
    if timing is None:
        phases.pop(name, None)
        return
    merged = {} if "started" in timing else dict(phases.get(name) or {})
    merged.update(timing)
    if merged.get("started") and merged.get("finished"):
        merged["seconds"] = round((parse_iso(merged["finished"]) - parse_iso(merged["started"])).total_seconds(), 3)
    phases[name] = merged


def site_entry(journal: Optional[Dict[str, Any]], site: str) -> Optional[Dict[str, Any]]:
    if not journal:
        return None
    return journal.get("sites", {}).get(site)


def overall_status(journal: Dict[str, Any], sites: Any) -> str:
    """complete | failed | in_progress | not_started over the given site names."""
    statuses = [(site_entry(journal, s) or {}).get("status", "pending") for s in sites]
    if statuses and all(s == "verified" for s in statuses):
        return "complete"
    if any(s in ("failed", "rolled_back", "rollback_failed") for s in statuses):
        return "failed"
    if all(s == "pending" for s in statuses):
        return "not_started"
    return "in_progress"


def desired_by_model(models: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """The journal's `after`: each model's release state, as a snapshot would read it (pure)."""
    return {m["name"]: dict({k: (env_redacted(v) if k == "env" else v) for k, v in m.items()
                             if k not in ("name", "health")}, exists=True)
            for m in models}
