"""Build kube-state-metrics for the lab's monitoring once and cache it beside the other binaries.

`go install k8s.io/kube-state-metrics/v2@<v>` is refused (the module proxy lists no versions for
its deprecation check), so a throw-away wrapper module requires it and `go build`s its main
package: about 3 minutes and 72 MB. Layout: <cache>/kube-state-metrics-<v>_<go>/bin/kube-state-metrics.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lab import versions
from lab.errors import lab_error

MODULE = "k8s.io/kube-state-metrics/v2"


def cache_dir(go: str) -> Path:
    return versions.cache_root() / f"kube-state-metrics-{versions.KUBE_STATE_METRICS}_{go}"


def binary_path(go: str) -> Path:
    return cache_dir(go) / "bin" / "kube-state-metrics"


def _go(args: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    res = subprocess.run(["go", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise lab_error(f"build kube-state-metrics {versions.KUBE_STATE_METRICS}", f"{what}: " +
                        (res.stderr or res.stdout).strip()[-1500:])


def ensure_kube_state_metrics(log=sys.stderr) -> Path:
    """The cached binary, built first if needed (one builder at a time)."""
    if not shutil.which("go"):
        raise lab_error("build kube-state-metrics", "the go command is not on PATH")
    go = versions.go_version()
    root = cache_dir(go)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        final = binary_path(go)
        if final.is_file():
            return final
        print(f"[lab] building kube-state-metrics {versions.KUBE_STATE_METRICS} into {root} "
              "(about 3 minutes the first time)", file=log, flush=True)
        start = time.monotonic()
        src = root / "src"
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir()
        (src / "go.mod").write_text("module local.test/kubestatemetrics\n\ngo 1.23\n")
        env = {**os.environ, "CGO_ENABLED": "0"}
        _go(["get", f"{MODULE}@{versions.KUBE_STATE_METRICS}"], src, env, "go get")
        staging = root / "bin.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        _go(["build", "-trimpath", "-buildvcs=false", "-mod=mod", "-ldflags", "-s -w",
             "-o", str(staging / "kube-state-metrics"), MODULE], src, env, "go build")
        shutil.rmtree(root / "bin", ignore_errors=True)
        staging.rename(root / "bin")
        shutil.rmtree(src, ignore_errors=True)
        print(f"[lab] built kube-state-metrics in {(time.monotonic() - start) / 60:.1f} min", file=log, flush=True)
        return final
