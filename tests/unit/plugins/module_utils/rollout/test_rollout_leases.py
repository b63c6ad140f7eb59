"""One writer per model and site (module_utils/rollout/leases.py and its use by the site step).

The fake API keeps resourceVersions and answers a stale PUT with 409, as kube-apiserver does, so
the race between two runs is decided by the store, not by the test.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from test_rollout_site import Clock, FakeApi, entry, model, policy, step

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import new_journal
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.leases import (
    LeaseHeld, Leases, claim, describe, holder_gone, lease_object, state)

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)
A = "ctl-a:100:rel-a"
B = "ctl-b:200:rel-b"


@pytest.fixture
def journal(tmp_path):
    path = str(tmp_path / "journal" / "rel.json")
    journal_store.update(path, lambda _current: new_journal("rel", "f" * 64, {}, "2026-12-01T00:00:00.000000Z"))
    return path


def live(holder, renewed_ago=0.0, duration=60):
    lease = lease_object("models", "chat", holder, duration, NOW - timedelta(seconds=renewed_ago))
    lease["metadata"]["resourceVersion"] = "7"
    return lease


@pytest.mark.parametrize("lease, me, action", [
    (None, A, "take"),
    (live(A), A, "ours"),
    (live(B, renewed_ago=10), A, "held"),
    (live(B, renewed_ago=61), A, "takeover"),
    (dict(live(B), spec=dict(live(B)["spec"], holderIdentity=None)), A, "take"),
])
def test_claim(lease, me, action):
    assert claim(lease, me, NOW, gone=lambda holder: False)["action"] == action


def test_a_holder_on_this_controller_whose_process_is_gone_is_taken_over_at_once():
    verdict = claim(live(B, renewed_ago=1), A, NOW, gone=lambda holder: holder == B)
    assert verdict["action"] == "takeover" and verdict["why"] == "its process is gone"


def test_holder_gone_only_judges_holders_of_this_controller():
    assert holder_gone("here:999999999:r", here="here") is True
    assert holder_gone("elsewhere:999999999:r", here="here") is False
    assert holder_gone("here:%d:r" % os.getpid(), here="here") is False


def test_state_counts_expiry_from_the_last_renewal():
    assert state(live(B, renewed_ago=50), NOW)["expires_in"] == pytest.approx(10)
    assert describe(B) == "release rel-b from ctl-b, PID 200"


def test_a_second_run_is_refused_naming_the_holder_and_changes_nothing():
    api = FakeApi()
    first = Leases(api, "lab-eu", [model()], A, now=lambda: NOW)
    first.acquire()
    try:
        second = Leases(api, "lab-eu", [model()], B, now=lambda: NOW + timedelta(seconds=5))
        with pytest.raises(LeaseHeld) as info:
            second.acquire()
        message = str(info.value)
        assert "model chat" in message and "release rel-a from ctl-a, PID 100" in message
        assert "since 2026-12-01T12:00:00" in message and "nothing was changed" in message
        assert second.check() == [message]
        assert api.objects[("Lease", "gpufleet-model-chat")]["spec"]["holderIdentity"] == A
    finally:
        first.release()
    assert api.objects[("Lease", "gpufleet-model-chat")]["spec"]["holderIdentity"] is None


def test_other_models_on_the_same_site_proceed_side_by_side():
    api = FakeApi()
    chat = Leases(api, "lab-eu", [model()], A, now=lambda: NOW)
    embed = Leases(api, "lab-eu", [model(name="embed")], B, now=lambda: NOW)
    chat.acquire()
    embed.acquire()
    chat.release()
    embed.release()


def test_all_or_none_a_refused_run_gives_back_what_it_took():
    api = FakeApi()
    holder = Leases(api, "lab-eu", [model(name="embed")], B, now=lambda: NOW)
    holder.acquire()
    both = Leases(api, "lab-eu", [model(), model(name="embed")], A, now=lambda: NOW)
    with pytest.raises(LeaseHeld):
        both.acquire()
    assert api.objects[("Lease", "gpufleet-model-chat")]["spec"]["holderIdentity"] is None
    holder.release()


def test_an_expired_lease_is_taken_over_and_said():
    api = FakeApi()
    killed = Leases(api, "lab-eu", [model()], B, duration=15, now=lambda: NOW)
    killed._acquire_one(model())  # acquired, then the run was killed: never renewed, never released
    later = Leases(api, "lab-eu", [model()], A, now=lambda: NOW + timedelta(seconds=16))
    later.acquire()
    later.release()
    assert later.took_over and "from release rel-b from ctl-b, PID 200" in later.took_over[0]
    assert "expired" in later.took_over[0]


def test_a_write_lost_to_another_run_is_a_refusal_not_an_overwrite():
    api = FakeApi()
    mine = Leases(api, "lab-eu", [model()], A, now=lambda: NOW)
    original_get = api.get

    def racing_get(kind, name, namespace=None):
        seen = original_get(kind, name, namespace)
        if kind == "Lease" and not getattr(api, "raced", False):
            api.raced = True
            api.create(lease_object("models", "chat", B, 60, NOW))  # the other run wins the race
        return seen

    api.get = racing_get
    with pytest.raises(LeaseHeld, match="release rel-b"):
        mine.acquire()


def test_renewal_moves_the_expiry_and_a_taken_over_lease_is_reported_lost():
    api = FakeApi()
    times = [NOW]
    mine = Leases(api, "lab-eu", [model()], A, duration=30, now=lambda: times[0])
    mine._acquire_one(model())
    times[0] = NOW + timedelta(seconds=20)
    mine.renew()
    assert state(api.objects[("Lease", "gpufleet-model-chat")], times[0])["expires_in"] == pytest.approx(30)
    api.objects[("Lease", "gpufleet-model-chat")]["metadata"]["resourceVersion"] = "999"
    mine.renew()
    assert mine.lost and "taken over" in mine.lost


def test_the_site_step_holds_the_lease_while_it_runs_and_gives_it_back(journal):
    api, clock = FakeApi(), Clock()
    seen = []
    original_apply = api.apply

    def apply(obj, *args, **kwargs):
        seen.append(api.objects[("Lease", "gpufleet-model-chat")]["spec"]["holderIdentity"])
        return original_apply(obj, *args, **kwargs)

    api.apply = apply
    result = step(api, clock, journal, [model()], policy()).rollout({"chat": {"exists": False}})
    assert result["status"] == "verified" and seen and all(h and h.endswith(":adhoc") for h in seen)
    assert api.objects[("Lease", "gpufleet-model-chat")]["spec"]["holderIdentity"] is None


def test_the_site_step_refused_by_a_held_lease_changes_nothing_and_leaves_the_journal(journal):
    api, clock = FakeApi(), Clock()
    other = Leases(api, "lab-eu", [model()], B, now=clock.now)
    other.acquire()
    result = step(api, clock, journal, [model()], policy()).rollout({"chat": {"exists": False}})
    other.release()
    assert result["status"] == "held" and result["site_failed"] is True
    assert "release rel-b from ctl-b" in result["cause"]
    assert ("Deployment", "chat") not in api.objects
    assert "lab-eu" not in (__import__("json").load(open(journal))["sites"])


def test_a_takeover_is_written_in_the_journal(journal):
    api, clock = FakeApi(), Clock()
    killed = Leases(api, "lab-eu", [model()], B, duration=15, now=clock.now)
    killed._acquire_one(model())
    clock.sleep(20)
    result = step(api, clock, journal, [model()], policy()).rollout({"chat": {"exists": False}})
    assert result["status"] == "verified"
    notes = [n["note"] for n in entry(journal)["notes"]]
    assert len(notes) == 1 and "took over the lease of model chat from release rel-b" in notes[0]


def test_a_step_whose_lease_was_taken_over_stops_without_rolling_back_or_writing(journal):
    """A run presumed dead (its leases taken over) must not undo what the run that took over does."""
    api, clock = FakeApi(), Clock()
    the_step = step(api, clock, journal, [model()], policy(soak_seconds=30))

    def sleep(seconds):
        clock.sleep(seconds)
        the_step.leases.lost = "lease of model chat was taken over by another run"

    the_step.sleep = sleep
    result = the_step.rollout({"chat": {"exists": False}})
    assert result["status"] == "held" and "lease lost" in result["cause"]
    assert api.version() == "2.0.0"  # not rolled back
    assert entry(journal)["status"] == "deployed"  # the other run's entry from here on


def test_a_zombie_holder_on_this_controller_is_gone():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc.kill()
    time.sleep(0.5)
    try:
        assert holder_gone("here:%d:rel" % proc.pid, here="here") is True
    finally:
        proc.wait()


def test_the_leases_namespace_is_created_first_or_its_absence_named(journal):
    api, clock = FakeApi(), Clock()
    result = step(api, clock, journal, [model(namespace="fresh")], policy()).rollout({"chat": {"exists": False}})
    assert result["status"] == "verified" and ("Namespace", "fresh") in api.objects
    assert api.objects[("Lease", "gpufleet-model-chat")]["metadata"]["namespace"] == "fresh"
    api = FakeApi()
    result = step(api, clock, journal, [model(namespace="absent")], policy(create_namespace=False)).rollout(
        {"chat": {"exists": False}})
    assert result["status"] == "failed" and "namespace absent does not exist" in result["cause"]
    assert ("Lease", "gpufleet-model-chat") not in api.objects and ("Deployment", "chat") not in api.objects


def test_many_models_take_and_give_back_their_leases_with_requests_in_flight_together():
    """A distant site answers each request a round trip later: 50 models one after the other took
    seconds. The requests go out together (up to PARALLEL_REQUESTS), all or none still holds."""
    import threading as _threading

    api = FakeApi()
    in_flight, most = [0], [0]
    guard = _threading.Lock()
    original_get, original_replace = api.get, api.replace

    def slow(call):
        def wrapped(*args, **kwargs):
            with guard:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            time.sleep(0.02)
            try:
                return call(*args, **kwargs)
            finally:
                with guard:
                    in_flight[0] -= 1
        return wrapped

    api.get, api.create, api.replace = slow(original_get), slow(api.create), slow(original_replace)
    models = [model(name="m%02d" % i) for i in range(50)]
    leases = Leases(api, "lab-apac", models, A, now=lambda: NOW)
    leases.acquire()
    assert most[0] > 1
    # One LIST of the namespace's leases, not a GET per model, before the writes.
    assert api.reads == 0
    assert all(api.objects[("Lease", "gpufleet-model-m%02d" % i)]["spec"]["holderIdentity"] == A for i in range(50))
    leases.release()
    assert all(api.objects[("Lease", "gpufleet-model-m%02d" % i)]["spec"]["holderIdentity"] is None for i in range(50))
    # One model held by another run: none of the 50 stays taken.
    Leases(api, "lab-apac", [model(name="m42")], B, now=lambda: NOW).acquire()
    with pytest.raises(LeaseHeld, match="model m42"):
        Leases(api, "lab-apac", models, A, now=lambda: NOW).acquire()
    assert [i for i in range(50) if api.objects[("Lease", "gpufleet-model-m%02d" % i)]["spec"]["holderIdentity"] == A] == []


def test_a_lease_written_after_the_list_is_decided_on_a_fresh_read():
    """Leases are listed once, then written: one created in between (unseen by the LIST) makes our
    create a 409, and the model is decided again on a GET - held by a live run: refused naming it;
    given back: taken."""
    api = FakeApi()
    Leases(api, "lab-eu", [model(name="a")], B, now=lambda: NOW).acquire()
    free = Leases(api, "lab-eu", [model(name="b")], B, now=lambda: NOW)
    free.acquire()
    free.release()
    api.list = lambda kind, namespace=None, label_selector=None, field_selector=None: []
    with pytest.raises(LeaseHeld, match="model a .*release rel-b from ctl-b"):
        Leases(api, "lab-eu", [model(name="a"), model(name="c")], A, now=lambda: NOW).acquire()
    taken = Leases(api, "lab-eu", [model(name="b"), model(name="c")], A, now=lambda: NOW)
    taken.acquire()
    assert api.objects[("Lease", "gpufleet-model-b")]["spec"]["holderIdentity"] == A
    assert api.objects[("Lease", "gpufleet-model-c")]["spec"]["holderIdentity"] == A
    taken.release()
