"""One run of a release at a time on this controller (module_utils/rollout/run_lock.py), with real processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import run_lock
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError

NOW = "2026-12-01T12:00:00.000000Z"


@pytest.fixture
def other_process():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_live_holder_refuses_a_second_run_naming_it(tmp_path, other_process):
    journal = str(tmp_path / "rel.json")
    assert run_lock.acquire(journal, "rel", other_process.pid, NOW) is None
    with pytest.raises(JournalError) as info:
        run_lock.acquire(journal, "rel", os.getpid(), NOW)
    assert "another run of this release is in progress: PID %d" % other_process.pid in str(info.value)
    assert journal + ".run" in str(info.value)
    assert os.stat(journal + ".run").st_mode & 0o777 == 0o600


def test_the_holder_itself_may_take_it_again(tmp_path):
    journal = str(tmp_path / "rel.json")
    run_lock.acquire(journal, "rel", os.getpid(), NOW)
    assert run_lock.acquire(journal, "rel", os.getpid(), NOW) is None


def test_a_dead_holder_is_taken_over_and_said(tmp_path, other_process):
    journal = str(tmp_path / "rel.json")
    run_lock.acquire(journal, "rel", other_process.pid, NOW)
    other_process.kill()
    other_process.wait()
    note = run_lock.acquire(journal, "rel", os.getpid(), NOW)
    assert note and "took over the run lock of PID %d" % other_process.pid in note
    assert json.load(open(journal + ".run"))["pid"] == os.getpid()


def test_a_reused_pid_is_not_the_holder(tmp_path):
    journal = str(tmp_path / "rel.json")
    run_lock.acquire(journal, "rel", os.getpid(), NOW)
    holder = json.load(open(journal + ".run"))
    holder["start"] = "1"  # the same PID, but a process started at another time
    with open(journal + ".run", "w") as handle:
        json.dump(holder, handle)
    assert "took over" in run_lock.acquire(journal, "rel", os.getpid(), NOW)


def test_another_controllers_lock_holds(tmp_path):
    journal = str(tmp_path / "rel.json")
    run_lock.acquire(journal, "rel", 1, NOW, host="other-controller")
    with pytest.raises(JournalError, match="on other-controller"):
        run_lock.acquire(journal, "rel", os.getpid(), NOW)


def test_only_the_holder_gives_it_back(tmp_path, other_process):
    journal = str(tmp_path / "rel.json")
    run_lock.acquire(journal, "rel", other_process.pid, NOW)
    assert run_lock.release_lock(journal, os.getpid()) is False and os.path.exists(journal + ".run")
    assert run_lock.release_lock(journal, other_process.pid) is True and not os.path.exists(journal + ".run")
    assert run_lock.release_lock(journal, other_process.pid) is False


def test_process_start_reads_the_field_after_a_command_name_with_spaces():
    assert run_lock.process_start(os.getpid()) == run_lock.process_start(os.getpid())
    assert run_lock.process_start(2 ** 22 + 12345) is None


def test_a_killed_process_not_yet_reaped_is_gone(tmp_path):
    """Where init does not reap orphans (containers), a killed run's worker stays a zombie: it holds nothing."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    journal = str(tmp_path / "rel.json")
    run_lock.acquire(journal, "rel", proc.pid, NOW)
    proc.kill()
    deadline = time.monotonic() + 10
    while open("/proc/%d/stat" % proc.pid).read().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        assert run_lock.process_start(proc.pid) is None
        assert "took over" in run_lock.acquire(journal, "rel", os.getpid(), NOW)
    finally:
        proc.wait()
