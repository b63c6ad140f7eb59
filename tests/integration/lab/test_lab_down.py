"""`python -m lab down` leaves no process, listener, state or inventory behind.

It takes the lab away, so tests/integration/conftest.py orders this module after every other test.
"""
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab


def recorded_pids(state_dir: Path, pattern: str = "sites/*/pids/*.pid") -> list[int]:
    return [int(p.read_text().split()[0]) for p in state_dir.glob(pattern)]


def processes_using(bin_dir: Path, prefixes: list[str]) -> list[int]:
    """Processes running a lab binary with one of this lab's addresses in their arguments."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if argv[0].startswith(str(bin_dir)) and any(p in arg for arg in argv[1:] for p in prefixes):
            found.append(int(entry.name))
    return found


def listeners_in(cidrs: list[str]) -> list[str]:
    """LISTEN sockets (state 0A in /proc/net/tcp) on any address of the given networks."""
    nets = [ipaddress.ip_network(c) for c in cidrs]
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        hex_ip, hex_port = local.split(":")
        ip = ipaddress.ip_address(bytes.fromhex(hex_ip)[::-1])
        if state == "0A" and any(ip in n for n in nets):
            found.append(f"{ip}:{int(hex_port, 16)}")
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_down_leaves_nothing_behind(lab):
    state_dir = Path(lab.doc["state_dir"])
    pids = recorded_pids(state_dir)
    # With monitoring (an earlier test may have started it on this lab) its processes go down too.
    every_pid = recorded_pids(state_dir, "**/pids/*.pid")
    assert len(pids) >= 6 * len(lab.sites), f"expected 6 processes per site, recorded {pids}"
    assert all(alive(p) for p in pids)
    prefixes = [site.host_cidr.rsplit(".", 1)[0] + "." for site in lab.sites]  # "127.42.1." ...
    assert sorted(processes_using(lab.bin_dir, prefixes)) == sorted(pids)
    before = listeners_in([s.host_cidr for s in lab.sites])
    assert len(before) >= 6 * len(lab.sites), before  # etcd x2, apiserver, proxy + its API, kcm, scheduler

    repo = Path(__file__).resolve().parents[3]
    res = subprocess.run([sys.executable, "-m", "lab", "down"], cwd=repo, capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert f"stopped {len(every_pid)} processes" in out, out

    assert [p for p in every_pid if alive(p)] == []
    assert processes_using(lab.bin_dir, prefixes) == []
    assert listeners_in([s.host_cidr for s in lab.sites]) == []
    assert not state_dir.exists() and not lab.inventory.exists()
    for site in lab.sites:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((site.address, 6443), timeout=5).close()
    assert os.path.exists(lab.bin_dir / "kubebin"), "down must keep the cached binaries"
