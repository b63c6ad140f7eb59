# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception model_health's library code raises."""

from __future__ import annotations


class HealthCheckError(Exception):
    """A health gate that did not pass.

    Carries the partial result (checks run, served versions, attempts, elapsed)
    so the module can hand it to fail_json and a user sees how far it got.
    """

    def __init__(self, message: str, result: dict | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


def failure_message(verb: str, obj: str, site: str, cause: str) -> str:
    # The project-wide message shape, so every failure reads the same in a rollout log.
    return "Failed to %s %s at site %s: %s" % (verb, obj, site, cause)
