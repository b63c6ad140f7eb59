"""Journal events: before recorded once, phases timed, no-op events change nothing."""
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import (
    apply_event, new_journal, overall_status)

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def journal():
    return new_journal("r1", "f" * 64, {"batches": []}, "2026-11-25T12:00:00.000000Z")


def test_before_is_recorded_once_so_a_resume_keeps_the_rollback_target(journal):
    j = apply_event(journal, "eu", {"before": {"m": {"version": "1"}}, "status": "deploying"}, T0)
    j = apply_event(j, "eu", {"before": {"m": {"version": "2"}}, "status": "deploying"}, T0)
    assert j["sites"]["eu"]["before"] == {"m": {"version": "1"}}


def test_phase_timing(journal):
    j = apply_event(journal, "eu", {"phase": "deploy", "phase_state": "started"}, T0)
    j = apply_event(j, "eu", {"phase": "deploy", "phase_state": "finished", "status": "deployed"},
                    T0 + timedelta(seconds=12.5))
    assert j["sites"]["eu"]["phases"]["deploy"]["seconds"] == 12.5
    assert j["sites"]["eu"]["status"] == "deployed"


def test_gate_phase_starts_when_the_deploy_finished(journal):
    j = apply_event(journal, "eu", {"phase": "deploy", "phase_state": "started"}, T0)
    j = apply_event(j, "eu", {"phase": "deploy", "phase_state": "finished"}, T0 + timedelta(seconds=10))
    j = apply_event(j, "eu", {"phase": "gate", "phase_state": "finished"}, T0 + timedelta(seconds=14))
    assert j["sites"]["eu"]["phases"]["gate"]["seconds"] == 4.0


def test_repeated_event_is_not_a_change(journal):
    j = apply_event(journal, "eu", {"status": "verified", "after": {"m": {"version": "2"}}}, T0)
    again = apply_event(j, "eu", {"status": "verified", "after": {"m": {"version": "2"}}}, T0 + timedelta(hours=1))
    assert again == j
    assert journal["sites"] == {}, "the input document is not mutated"


def test_unknown_status_is_refused(journal):
    with pytest.raises(ValueError):
        apply_event(journal, "eu", {"status": "done"}, T0)


@pytest.mark.parametrize("statuses, expected", [
    (["verified", "verified"], "complete"),
    (["verified", "rolled_back"], "failed"),
    (["verified", "pending"], "in_progress"),
    (["pending", "pending"], "not_started"),
    (["deploying", "pending"], "in_progress"),
])
def test_overall_status(journal, statuses, expected):
    for site, status in zip(("eu", "us"), statuses):
        journal = apply_event(journal, site, {"status": status}, T0)
    assert overall_status(journal, ["eu", "us"]) == expected
