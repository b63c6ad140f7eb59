# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollout report: built from the journal and the live fleet, rendered as JSON, Markdown and a table.

Only journal content and live versions go in (no "generated at" stamp), so a no-op re-run
renders the same bytes and rewriting the report is not a change.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import overall_status


def _versions(models: Optional[Dict[str, Any]]) -> str:
    if not models:
        return "-"
    parts = []
    for name in sorted(models):
        state = models[name] or {}
        parts.append("%s=%s" % (name, state.get("version") or "-") if state.get("exists", True) else "%s=absent" % name)
    return ", ".join(parts)


def _gates(gates: List[Dict[str, Any]]) -> str:
    if not gates:
        return "-"
    return ", ".join("%s %s" % (g.get("name"), "ok" if g.get("ok") else "FAILED") for g in gates)


def build_report(journal: Dict[str, Any], live: Dict[str, Any], unreachable: List[str],
                 drift: List[str]) -> Dict[str, Any]:
    """The report document. live: site -> model -> {version, image, ready_replicas}."""
    plan = journal.get("plan") or {}
    order = [s for batch in plan.get("batches", []) for s in batch["sites"]]
    label = {s: batch["label"] for batch in plan.get("batches", []) for s in batch["sites"]}
    sites = []
    for site in order + sorted(set(journal.get("sites", {})) - set(order)):
        entry = journal.get("sites", {}).get(site) or {}
        phases = {name: timing.get("seconds") for name, timing in (entry.get("phases") or {}).items()}
        now_running = "unreachable" if site in unreachable else _versions(
            {m: {"version": v.get("version"), "exists": v.get("exists", True)} for m, v in (live.get(site) or {}).items()})
        sites.append({
            "site": site, "batch": label.get(site, "-"), "status": entry.get("status", "pending"),
            "before": entry.get("before"), "after": entry.get("after"),
            "versions_before": _versions(entry.get("before")), "versions_after": _versions(entry.get("after")),
            "running_now": now_running, "phases_seconds": phases, "gates": entry.get("gates") or [],
            "diagnosis": entry.get("diagnosis"),
        })
    return {
        "release": journal.get("release"), "fingerprint": journal.get("fingerprint"),
        "status": overall_status(journal, order or list(journal.get("sites", {}))),
        "canary": plan.get("canary"), "sites": sites, "drift": sorted(drift), "unreachable": sorted(unreachable),
    }


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else "%.1fs" % value


def table(report: Dict[str, Any]) -> List[str]:
    """A short fixed-width table, one line per site, for the end of the run."""
    header = ("SITE", "BATCH", "STATUS", "BEFORE", "AFTER", "RUNNING NOW", "DEPLOY", "GATE")
    rows = [header] + [
        (s["site"], s["batch"], s["status"], s["versions_before"], s["versions_after"], s["running_now"],
         _seconds(s["phases_seconds"].get("deploy")), _seconds(s["phases_seconds"].get("gate")))
        for s in report["sites"]]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("release %s: %s%s%s" % (
        report["release"], report["status"],
        "; drift at %s" % ", ".join(report["drift"]) if report["drift"] else "",
        "; unreachable: %s" % ", ".join(report["unreachable"]) if report["unreachable"] else ""))
    return lines


def markdown(report: Dict[str, Any]) -> str:
    out = ["# Rollout report: %s" % report["release"], "",
           "- status: **%s**" % report["status"], "- canary: %s" % report["canary"],
           "- release fingerprint: `%s`" % report["fingerprint"],
           "- drift: %s" % (", ".join(report["drift"]) or "none"),
           "- unreachable: %s" % (", ".join(report["unreachable"]) or "none"), "",
           "| site | batch | status | before | after | running now | preflight | deploy | gate | rollback | gates |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in report["sites"]:
        p = s["phases_seconds"]
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s["site"], s["batch"], s["status"], s["versions_before"], s["versions_after"], s["running_now"],
            _seconds(p.get("preflight")), _seconds(p.get("deploy")), _seconds(p.get("gate")),
            _seconds(p.get("rollback")), _gates(s["gates"])))
    failures = [s for s in report["sites"] if s["diagnosis"]]
    if failures:
        out += ["", "## Failure diagnosis"]
        for s in failures:
            out += ["", "### %s (%s)" % (s["site"], s["status"]), "", "```", str(s["diagnosis"]).rstrip(), "```"]
    return "\n".join(out) + "\n"


def failure_summary(report: Dict[str, Any]) -> str:
    """One line per site saying exactly which version it is on, for a failed run's message."""
    lines = ["Rollout of release %s %s. Sites now:" % (report["release"], report["status"])]
    for s in report["sites"]:
        why = " - %s" % str(s["diagnosis"]).splitlines()[0] if s["diagnosis"] else ""
        lines.append("  %s: %s (journal: %s)%s" % (s["site"], s["running_now"], s["status"], why))
    return "\n".join(lines)
