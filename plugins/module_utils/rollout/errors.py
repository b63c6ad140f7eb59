# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Project exceptions for the rollout module_utils.

Messages read `Failed to <verb> <object> at site <site>: <cause>` (or `for release <name>`
when no single site is at fault) so a failure in a many-site rollout says where it happened.
"""

from __future__ import annotations

from typing import List, Optional


class RolloutError(Exception):
    """Base class of the rollout errors."""

    def __init__(self, verb: str, obj: str, cause: str, site: Optional[str] = None,
                 release: Optional[str] = None):
        self.verb = verb
        self.obj = obj
        self.cause = cause
        self.site = site
        self.release = release
        where = " at site %s" % site if site else (" for release %s" % release if release else "")
        super().__init__("Failed to %s %s%s: %s" % (verb, obj, where, cause))


class ReleaseInvalid(RolloutError):
    """The release file breaks the schema; carries every problem found, not only the first."""

    def __init__(self, path: str, problems: List[str], release: Optional[str] = None):
        self.problems = list(problems)
        cause = "%d problem(s):\n  - %s" % (len(problems), "\n  - ".join(problems))
        super().__init__("validate", "release file %s" % path, cause, release=release)


class JournalError(RolloutError):
    """The journal could not be read or written."""
