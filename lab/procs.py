"""Start and stop the lab's processes by PID file; a PID only counts as ours if its start time matches."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) follows the ')' that ends the command name, which may hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def read_pid(pid_file: Path) -> int | None:
    """The PID recorded in pid_file if that very process (same start time) is still alive."""
    try:
        pid_s, start = pid_file.read_text().split()
        pid = int(pid_s)
    except (OSError, ValueError):
        return None
    if _start_time(pid) != start:
        return None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
    return None if state == "Z" else pid


def start(argv: list[str], pid_file: Path, log_file: Path, env: dict[str, str] | None = None) -> int:
    """Start argv detached (own session, so it outlives the CLI) and record PID + start time."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env, close_fds=True)
    start_time = None
    for _attempt in range(50):
        start_time = _start_time(proc.pid)
        if start_time:
            break
        time.sleep(0.01)
    pid_file.write_text(f"{proc.pid} {start_time}\n")
    return proc.pid


def exited_early(pid_file: Path) -> bool:
    return read_pid(pid_file) is None


def stop(pid_file: Path, timeout: float = 15.0) -> bool:
    """SIGTERM, then SIGKILL after timeout; returns True if a live process was stopped."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and read_pid(pid_file) is not None:
        _reap(pid)
        time.sleep(0.1)
    if read_pid(pid_file) is not None:
        os.kill(pid, signal.SIGKILL)
        while read_pid(pid_file) is not None:
            _reap(pid)
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    # Only our own children can be reaped; processes started by an earlier CLI run are not.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages of the one multi-call binary are split between sites."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
