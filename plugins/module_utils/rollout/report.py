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

# Where the policy put a failed site: reported apart from drift.
ROLLED_BACK = ("rolled_back",)
MAX_CELL = 34


def _state_text(state: Dict[str, Any], before: Optional[Dict[str, Any]] = None) -> str:
    """`1.0.0`, `absent`, or `1.0.0 -> 2.0.0 (3/4)` while a rollout is half done."""
    if not state.get("exists", True):
        return "absent"
    version = state.get("version") or "-"
    replicas = state.get("replicas")
    counts = [x for x in (state.get("updated_replicas"), state.get("ready_replicas")) if x is not None]
    if replicas and counts and min(counts) < replicas:
        old = None
        if before:
            old = before.get("version") if before.get("exists", True) else "absent"
        prefix = "%s -> " % old if old and old != version else ""
        return "%s%s (%d/%d)" % (prefix, version, min(counts), replicas)
    return version


def _versions(models: Optional[Dict[str, Any]], before: Optional[Dict[str, Any]] = None) -> str:
    """`chat=1.0.0, embed=absent`; past three models, grouped by version to stay one short cell."""
    if not models:
        return "-"
    texts = {name: _state_text(models[name] or {}, (before or {}).get(name)) for name in sorted(models)}
    if len(texts) <= 3:
        return ", ".join("%s=%s" % (name, text) for name, text in texts.items())
    counts: Dict[str, int] = {}
    for text in texts.values():
        counts[text] = counts.get(text, 0) + 1
    return ", ".join("%d at %s" % (n, text) for text, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _gates(gates: List[Dict[str, Any]]) -> str:
    if not gates:
        return "-"
    return ", ".join("%s %s" % (g.get("name"), "ok" if g.get("ok") else "FAILED") for g in gates)


def build_report(journal: Dict[str, Any], live: Dict[str, Any], unreachable: List[str],
                 drift: List[str], desired: Optional[List[Dict[str, Any]]] = None,
                 commands: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """The report document. live: site -> model -> {version, image, replicas, ready_replicas, ...}.

    A site the run rolled back is reported under `rolled_back`, not as drift: the policy put it
    there. desired: the release's models (the target shown on top); commands: how to resume and
    how to roll back, shown while the release is not complete.
    """
    plan = journal.get("plan") or {}
    order = [s for batch in plan.get("batches", []) for s in batch["sites"]]
    label = {s: batch["label"] for batch in plan.get("batches", []) for s in batch["sites"]}
    sites = []
    for site in order + sorted(set(journal.get("sites", {})) - set(order)):
        entry = journal.get("sites", {}).get(site) or {}
        phases = {name: timing.get("seconds") for name, timing in (entry.get("phases") or {}).items()}
        now_running = "unreachable" if site in unreachable else _versions(live.get(site) or {}, entry.get("before"))
        sites.append({
            "site": site, "batch": label.get(site, "-"), "status": entry.get("status", "pending"),
            "before": entry.get("before"), "after": entry.get("after"),
            "versions_before": _versions(entry.get("before")), "versions_after": _versions(entry.get("after")),
            "running_now": now_running, "phases_seconds": phases, "phases": entry.get("phases") or {},
            "gates": entry.get("gates") or [], "diagnosis": entry.get("diagnosis"),
            "models_now": {m: (v or {}).get("version") if (v or {}).get("exists", True) else None
                           for m, v in (live.get(site) or {}).items()},
        })
    status_of = {s["site"]: s["status"] for s in sites}
    rolled_back = sorted(s for s in drift if status_of.get(s) in ROLLED_BACK)
    # Drift is a site that got the release and no longer runs it; a site the run has not reached
    # yet (pending, or stopped half way) is reported by its status, not as drift.
    drift = [s for s in drift if status_of.get(s, "verified") == "verified"]
    status = overall_status(journal, order or list(journal.get("sites", {})))
    if journal.get("paused") and status in ("in_progress", "not_started"):
        status = "paused"
    return {
        "release": journal.get("release"), "fingerprint": journal.get("fingerprint"), "status": status,
        "canary": plan.get("canary"), "sites": sites, "target": desired or [],
        "drift": sorted(drift), "rolled_back": rolled_back,
        "unreachable": sorted(unreachable), "paused": journal.get("paused"),
        "commands": next_commands(status, commands or {}),
    }


def next_commands(status: str, commands: Dict[str, str]) -> Dict[str, str]:
    """What an operator runs next: nothing when complete, promote or roll back when paused,
    resume or roll back otherwise (pure)."""
    wanted = {"complete": (), "paused": ("promote", "roll back")}.get(status, ("resume", "roll back"))
    return {k: v for k, v in commands.items() if k in wanted}


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else "%.1fs" % value


def _cell(text: Any, width: int = MAX_CELL) -> str:
    text = str(text)
    return text if len(text) <= width else text[:width - 3] + "..."


def _md(text: Any) -> str:
    """A Markdown table cell: a `|` would end the cell early."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def status_line(report: Dict[str, Any]) -> str:
    return "release %s: %s%s%s%s" % (
        report["release"], report["status"],
        "; drift at %s" % ", ".join(report["drift"]) if report["drift"] else "",
        "; rolled back: %s" % ", ".join(report.get("rolled_back") or []) if report.get("rolled_back") else "",
        "; unreachable: %s" % ", ".join(report["unreachable"]) if report["unreachable"] else "")


def table(report: Dict[str, Any]) -> List[str]:
    """A short fixed-width table, one line per site and under 120 columns, for the end of the run."""
    header = ("SITE", "BATCH", "STATUS", "BEFORE", "RUNNING NOW", "DEPLOY", "GATE")
    rows = [header] + [
        (_cell(s["site"], 16), s["batch"], s["status"], _cell(s["versions_before"], 26), _cell(s["running_now"]),
         _seconds(s["phases_seconds"].get("deploy")), _seconds(s["phases_seconds"].get("gate")))
        for s in report["sites"]]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append(status_line(report))
    return lines


def gantt(report: Dict[str, Any]) -> List[str]:
    """A Mermaid gantt chart of each site's phases, from the journal's timestamps (ms precision)."""
    out = ["```mermaid", "gantt", "    title Rollout of %s" % report["release"],
           "    dateFormat YYYY-MM-DDTHH:mm:ss.SSS", "    axisFormat %H:%M:%S"]
    bars = 0
    for s in report["sites"]:
        section = []
        for phase in ("preflight", "deploy", "gate", "rollback"):
            timing = s["phases"].get(phase) or {}
            if timing.get("started") and timing.get("finished"):
                kind = "crit" if phase == "rollback" else "done"
                section.append("    %s :%s, %s, %s" % (phase, kind, timing["started"][:23], timing["finished"][:23]))
        if section:
            out.append("    section %s" % s["site"])
            out += section
            bars += len(section)
    out.append("```")
    return out if bars else []


def matrix(report: Dict[str, Any]) -> List[str]:
    """Site x model: the version each site runs now; `(pinned)` where the release intends another
    version at that site, `off` where it leaves the model off, bold where it is not what was intended."""
    target = {m["name"]: m.get("version") for m in report.get("target") or []}
    models = list(target) or sorted({m for s in report["sites"] for m in s["models_now"]})
    out = ["| site | %s |" % " | ".join(_md(m) for m in models), "|---|%s" % ("---|" * len(models))]
    for s in report["sites"]:
        cells = []
        for name in models:
            if s["running_now"] == "unreachable":
                cells.append("?")
                continue
            intended = (s["after"] or {}).get(name) if s["after"] is not None else None
            if s["after"] is not None and intended is None and name not in s["models_now"]:
                cells.append("off")  # the release leaves this model off this site
                continue
            text = s["models_now"].get(name) or "absent"
            if target.get(name) in (None, text):
                cells.append(_md(text))
            elif (intended or {}).get("version") == text:
                cells.append(_md("%s (pinned)" % text))
            else:
                cells.append("**%s**" % _md(text))
        out.append("| %s | %s |" % (_md(s["site"]), " | ".join(cells)))
    return out


def markdown(report: Dict[str, Any]) -> str:
    target = ", ".join("%s %s" % (m["name"], m.get("version")) for m in report.get("target") or []) or "-"
    out = ["# Rollout report: %s" % report["release"], "", "- target: %s" % target,
           "- status: **%s**" % report["status"], "- canary: %s" % report["canary"],
           "- release fingerprint: `%s`" % report["fingerprint"],
           "- drift: %s" % (", ".join(report["drift"]) or "none"),
           "- rolled back by the policy: %s" % (", ".join(report.get("rolled_back") or []) or "none"),
           "- unreachable: %s" % (", ".join(report["unreachable"]) or "none")]
    if report.get("paused"):
        out.append("- paused after: %s" % report["paused"].get("after"))
    for what, command in sorted((report.get("commands") or {}).items()):
        out.append("- %s: `%s`" % (what, command))
    out += ["", "| site | batch | status | before | after | running now | preflight | deploy | gate | rollback | gates |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in report["sites"]:
        p = s["phases_seconds"]
        out.append("| %s |" % " | ".join(_md(c) for c in (
            s["site"], s["batch"], s["status"], s["versions_before"], s["versions_after"], s["running_now"],
            _seconds(p.get("preflight")), _seconds(p.get("deploy")), _seconds(p.get("gate")),
            _seconds(p.get("rollback")), _gates(s["gates"]))))
    out += ["", "## Versions by site", ""] + matrix(report)
    chart = gantt(report)
    if chart:
        out += ["", "## Timeline", ""] + chart
    failures = [s for s in report["sites"] if s["diagnosis"]]
    if failures:
        out += ["", "## Failure diagnosis"]
        for s in failures:
            out += ["", "### %s (%s)" % (s["site"], s["status"]), "", "```", str(s["diagnosis"]).rstrip(), "```"]
    return "\n".join(out) + "\n"


def failure_summary(report: Dict[str, Any]) -> str:
    """One line per site saying exactly which version it is on, then what to run next."""
    lines = ["Rollout of release %s %s. Sites now:" % (report["release"], report["status"])]
    for s in report["sites"]:
        why = " - %s" % str(s["diagnosis"]).splitlines()[0] if s["diagnosis"] else ""
        lines.append("  %s: %s (journal: %s)%s" % (s["site"], s["running_now"], s["status"], why))
    for what, command in sorted((report.get("commands") or {}).items()):
        lines.append("%s: %s" % (what.capitalize(), command))
    return "\n".join(lines)
