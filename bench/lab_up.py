"""Benchmark: cold `python -m lab up` of the default 3 sites with cached binaries, and memory per site.

    .venv/bin/python bench/lab_up.py [--runs N]

Targets (issue 4): up <= 60 s, RSS per site <= 1 GiB. Prints each figure with its ratio to the
target (ratio < 1 meets it). Builds the binaries first if they are not cached (not timed) and
leaves the lab down. It refuses to run while a lab is up (it would take it down); for a second,
isolated lab next to a running one set GPUFLEET_LAB_NET=43 GPUFLEET_LAB_STATE=/tmp/b/state
GPUFLEET_LAB_INVENTORY=/tmp/b/inv. Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UP_TARGET_S = 60.0
RSS_TARGET_MIB = 1024.0


def lab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True, check=False)
    if check and res.returncode != 0:
        sys.exit(f"python -m lab {' '.join(args)} failed ({res.returncode}):\n{res.stderr}")
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1)
    args = p.parse_args()
    if json.loads(lab("status", "--json", check=False).stdout or "[]"):
        sys.exit("a lab is running here; `python -m lab down` first or use an isolated one (see --help)")
    print(f"binaries: {lab('build').stdout.strip()}")
    ups, rows = [], []
    for _run in range(args.runs):
        lab("down")
        start = time.monotonic()
        lab("up")
        ups.append(time.monotonic() - start)
        time.sleep(5)  # let start-up bursts (informer lists, node registration) settle before measuring memory
        rows = json.loads(lab("status", "--json").stdout)
    lab("down")
    up = statistics.median(ups)
    print(f"lab_up_cold_seconds: {up:.1f} (target {UP_TARGET_S:.0f} s, ratio {up / UP_TARGET_S:.2f}; "
          f"runs {', '.join(f'{u:.1f}' for u in ups)})")
    for r in rows:
        print(f"site {r['site']}: rss_mib {r['rss_mib']} (target {RSS_TARGET_MIB:.0f}, ratio "
              f"{r['rss_mib'] / RSS_TARGET_MIB:.2f}), pss_mib {r['pss_mib']} "
              "(PSS splits the shared multi-call binary's pages between sites)")


if __name__ == "__main__":
    main()
