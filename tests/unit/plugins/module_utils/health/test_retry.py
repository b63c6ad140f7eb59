from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.retry import RetryPolicy


@pytest.mark.parametrize("retries,attempts,expected", [
    (0, 1, None),
    (2, 1, 5.0),
    (2, 2, 5.0),
    (2, 3, None),
])
def test_retries_count_extra_attempts(retries, attempts, expected):
    assert RetryPolicy(retries=retries, delay=5.0).next_delay(attempts, elapsed=0.0) == expected


@pytest.mark.parametrize("elapsed,expected", [
    (0.0, 5.0),
    (27.5, 2.5),   # never sleeps past the deadline
    (30.0, None),
    (31.0, None),
])
def test_wait_timeout_bounds_total_time(elapsed, expected):
    policy = RetryPolicy(retries=0, delay=5.0, wait_timeout=30.0)
    assert policy.next_delay(attempts=100, elapsed=elapsed) == expected
