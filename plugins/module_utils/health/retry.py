# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When to try a health gate again (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Either a number of retries or a total wait, with a delay between attempts.

    retries: extra attempts after the first (ignored when wait_timeout is set).
    wait_timeout: seconds from the first attempt during which new attempts start.
    delay: seconds between the end of one attempt and the start of the next.
    """

    retries: int = 0
    delay: float = 5.0
    wait_timeout: float | None = None

    def next_delay(self, attempts: int, elapsed: float) -> float | None:
        """Seconds to sleep before the next attempt, or None to stop.

        attempts: attempts made so far; elapsed: seconds since the first began.
        """
        if self.wait_timeout is not None:
            remaining = self.wait_timeout - elapsed
            if remaining <= 0:
                return None
            # Never sleep past the deadline; one last attempt right at the end beats none.
            return min(self.delay, remaining)
        if attempts > self.retries:
            return None
        return self.delay
