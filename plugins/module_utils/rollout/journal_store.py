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
import glob
import json
import os
import stat
import tempfile
from typing import Any, Callable, Dict, Optional, Tuple

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import shape_problems

# Journals and reports hold what ran on every site (images, env names, diagnoses): owner only.
FILE_MODE = 0o600
DIR_MODE = 0o700
RECOVERY_HINT = ("move the file aside to start the release afresh (every site is then re-read from the "
                 "cluster and what runs now becomes its rollback target), or restore it from a backup")


def load(path: str) -> Optional[Dict[str, Any]]:
    """The journal at path, or None when there is none yet. A file that is not a journal of this
    schema is refused with the file named and what to do, never half-trusted."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError as e:
        raise JournalError("read", "journal %s" % path, "not valid JSON (%s); %s" % (e, RECOVERY_HINT)) from e
    except OSError as e:
        raise JournalError("read", "journal %s" % path, str(e)) from e
    problems = shape_problems(document)
    if problems:
        raise JournalError("read", "journal %s" % path, "%s; %s" % ("; ".join(problems), RECOVERY_HINT))
    return document


def private_dir(directory: str) -> None:
    """Create directory 0700; tighten one we own that others can read, but never a shared one
    (sticky, like /tmp) nor one of another user."""
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    info = os.stat(directory)
    if info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(directory, DIR_MODE)


def clean_stale(path: str) -> None:
    """Remove temp files a killed writer left beside path. Only under path's lock: nobody else
    is writing path then, so every one of them is stale."""
    directory = os.path.dirname(os.path.abspath(path))
    for tmp in glob.glob(os.path.join(glob.escape(directory), "." + glob.escape(os.path.basename(path)) + ".*.tmp")):
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def atomic_write(path: str, text: str, mode: int = FILE_MODE) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    private_dir(directory)
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
        private_dir(os.path.dirname(os.path.abspath(path)))
        with open(path + ".lock", "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            clean_stale(path)
            current = load(path)
            result = mutate(current)
            changed = result != current
            if changed and not check_mode:
                atomic_write(path, dumps(result))
            return current, result, changed
    except OSError as e:
        raise JournalError("update", "journal %s" % path, str(e)) from e
