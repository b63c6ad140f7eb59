# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of a release at a time on this controller: a lock file beside the journal.

The journal's flock is held per event only (sites of a wave write in parallel), so it cannot keep
a second `rollout.yml` of the same release out. This lock names the ansible-playbook process that
holds it: a run that finds it held by a live process stops at start; one that finds its holder
gone (killed, crashed) takes it over and says so. The Kubernetes leases guard each model on each
site across controllers; this file only refuses the obvious local double start early.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from typing import Any, Dict, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError


def lock_path(journal: str) -> str:
    return journal + ".run"


def process_start(pid: int) -> Optional[str]:
    """The process's start time in clock ticks (/proc/<pid>/stat field 22), telling a reused PID
    from the holder; None when there is no such process, or only its corpse: a killed process
    whose parent is gone stays a zombie where init does not reap (containers), and it does nothing more."""
    try:
        with open("/proc/%d/stat" % pid, "r", encoding="utf-8") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def holder_alive(holder: Dict[str, Any], host: str) -> bool:
    if holder.get("host") != host:
        return True  # another controller's process: we cannot tell, so it holds
    start = process_start(int(holder.get("pid") or 0))
    return start is not None and start == holder.get("start", start)


def _read(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            holder = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable: treat as stale, it is rewritten below
    return holder if isinstance(holder, dict) else {}


def acquire(journal: str, release: str, pid: int, now: str, host: Optional[str] = None) -> Optional[str]:
    """Hold the release's run lock for process pid. Returns a note when a dead holder's lock was
    taken over; raises JournalError naming the holder when a live one has it."""
    host = host or socket.gethostname()
    path = lock_path(journal)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(journal)), mode=0o700, exist_ok=True)
        with open(journal + ".lock", "a", encoding="utf-8") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            holder = _read(path)
            me = {"host": host, "pid": pid, "start": process_start(pid), "release": release, "since": now}
            note = None
            if holder is not None and (holder.get("host"), holder.get("pid"), holder.get("start")) != (
                    host, pid, me["start"]):
                if holder and holder_alive(holder, host):
                    raise JournalError(
                        "start", "release %s" % release,
                        "another run of this release is in progress: PID %s on %s since %s (lock %s); wait for it, "
                        "or stop it - if that controller's run is gone, remove the lock file"
                        % (holder.get("pid"), holder.get("host"), holder.get("since"), path))
                note = "took over the run lock of PID %s on %s (since %s): that process is gone" % (
                    holder.get("pid"), holder.get("host"), holder.get("since"))
            elif holder is not None:
                return None  # this run holds it already
            with open(path + ".tmp", "w", encoding="utf-8") as handle:
                json.dump(me, handle)
            os.chmod(path + ".tmp", 0o600)
            os.replace(path + ".tmp", path)
            return note
    except OSError as e:
        raise JournalError("lock", "release %s" % release, "%s: %s" % (path, e)) from e


def release_lock(journal: str, pid: int, host: Optional[str] = None) -> bool:
    """Give the lock back if process pid holds it; True when a lock was removed."""
    host = host or socket.gethostname()
    path = lock_path(journal)
    if not os.path.exists(path):
        return False
    with open(journal + ".lock", "a", encoding="utf-8") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        holder = _read(path) or {}
        if (holder.get("host"), holder.get("pid")) != (host, pid):
            return False
        os.unlink(path)
        return True
