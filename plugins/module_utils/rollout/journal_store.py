# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Journal file I/O: read, and update under an exclusive lock with an atomic replace.

Sites of one wave update the same journal from parallel forks, hence the lock around
read-modify-write. A write goes to a temporary file in the same directory, is fsynced and
renamed over the journal, then the directory is fsynced: a Ctrl-C or a crash at any instant
leaves either the old or the new document, never a torn one.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from typing import Any, Callable, Dict, Optional, Tuple

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError


def load(path: str) -> Optional[Dict[str, Any]]:
    """The journal at path, or None when there is none yet."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise JournalError("read", "journal %s" % path, str(e)) from e


def atomic_write(path: str, text: str, mode: int = 0o644) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        # BaseException: a KeyboardInterrupt mid-write must not leave temp files behind either.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def dumps(document: Dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def update(path: str, mutate: Callable[[Optional[Dict[str, Any]]], Dict[str, Any]],
           check_mode: bool = False) -> Tuple[Optional[Dict[str, Any]], Dict[str, Any], bool]:
    """Apply mutate(current) under the lock; write only when the document changed.

    Returns (before, after, changed). In check mode nothing is written.
    """
    if check_mode:
        # --check writes nothing, not even the lock file or the directory.
        current = load(path)
        result = mutate(current)
        return current, result, result != current
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path + ".lock", "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = load(path)
            result = mutate(current)
            changed = result != current
            if changed and not check_mode:
                atomic_write(path, dumps(result))
            return current, result, changed
    except OSError as e:
        raise JournalError("update", "journal %s" % path, str(e)) from e
