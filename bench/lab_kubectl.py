"""The baseline the benchmarks compare against: the lab's own kubectl on one site."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def kubectl(bin_dir: str, site: dict, *args: str) -> None:
    """Run kubectl against the site; a failure ends the benchmark with kubectl's message."""
    cmd = [str(Path(bin_dir) / "kubectl"), "--kubeconfig", site["kubeconfig"], "--context", site["context"], *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(cmd), proc.stderr))
