# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a release's report files, only when their content changed."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.report import build_report, markdown


def live_state(sites: List[Dict[str, Any]]) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """From each site's final read: live versions, unreachable sites, sites not at the release."""
    live, unreachable, drift = {}, [], []
    for entry in sites:
        if not entry.get("reachable"):
            unreachable.append(entry["site"])
            continue
        live[entry["site"]] = entry.get("current") or {}
        if not entry.get("at_release"):
            drift.append(entry["site"])
    return live, unreachable, drift


def read_file(path: str) -> str:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def write_report(journal_path: str, dest: str, sites: List[Dict[str, Any]], check_mode: bool,
                 desired: Optional[List[Dict[str, Any]]] = None,
                 commands: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    journal = journal_store.load(journal_path)
    if journal is None:
        raise RolloutError("write", "report", "journal %s does not exist" % journal_path)
    live, unreachable, drift = live_state(sites)
    report = build_report(journal, live, unreachable, drift, desired, commands)
    directory = os.path.join(dest, journal["release"])
    if os.path.dirname(os.path.realpath(directory)) != os.path.realpath(dest):
        # The release name comes from a file on disk: it must not steer the write elsewhere.
        raise RolloutError("write", "report", "release name %r of journal %s would write outside %s"
                           % (journal["release"], journal_path, dest))
    files = {
        os.path.join(directory, "report.json"): json.dumps(report, indent=2, sort_keys=True) + "\n",
        os.path.join(directory, "report.md"): markdown(report),
    }
    changed = [path for path, text in files.items() if read_file(path) != text]
    if not check_mode:
        for path in changed:
            try:
                journal_store.atomic_write(path, files[path])
            except OSError as e:
                raise RolloutError("write", "report %s" % path, str(e), release=journal["release"]) from e
    return {"report": report, "files": sorted(files), "changed_files": sorted(changed)}
