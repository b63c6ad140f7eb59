"""Build the multi-call kubebin once per version set and cache it; show progress while compiling.

Layout: <cache>/<key>/bin/{kubebin, kube-apiserver -> kubebin, ...} and <cache>/<key>/build.json
with the build's wall time and peak memory. Go's own module and build caches make a rebuild after
a source change incremental.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from lab import versions
from lab.errors import lab_error


def _ldflags() -> str:
    minor = versions.KUBERNETES.split(".")[1]
    flags = ["-s", "-w"]
    # The keys upstream's hack/lib/version.sh stamps, so every component reports the real version.
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        for key, val in (("gitVersion", versions.KUBERNETES), ("gitMajor", "1"), ("gitMinor", minor),
                         ("gitTreeState", "clean"), ("buildDate", "2000-01-01T00:00:00Z")):
            flags.append(f"-X {pkg}.{key}={val}")
    return " ".join(flags)


def bin_dir(key: str) -> Path:
    return versions.cache_root() / key / "bin"


def is_built(key: str) -> bool:
    d = bin_dir(key)
    return (d / "kubebin").is_file() and (d / "toxiproxy-server").is_file() and all(
        (d / c).exists() for c in versions.COMMANDS)


def _count_deps(env: dict[str, str]) -> int:
    res = subprocess.run(["go", "list", "-deps", "-mod=readonly", "."], cwd=versions.KUBEBIN_DIR,
                         capture_output=True, text=True, env=env, check=False)
    return len(res.stdout.split()) if res.returncode == 0 else 0


class _Progress:
    """Counts packages `go build -v` reports and prints a line every few seconds."""

    def __init__(self, total: int, out=sys.stderr, every: float = 15.0):
        self.total, self.out, self.every = total, out, every
        self.done, self.start = 0, time.monotonic()
        self._stop = threading.Event()

    def line(self) -> str:
        elapsed = int(time.monotonic() - self.start)
        total = f"/{self.total}" if self.total else ""
        return f"[lab] building kubebin: {self.done}{total} packages compiled, {elapsed // 60}m{elapsed % 60:02d}s"

    def run(self) -> None:
        while not self._stop.wait(self.every):
            print(self.line(), file=self.out, flush=True)

    def stop(self) -> None:
        self._stop.set()


def build(key: str, log=sys.stderr) -> Path:
    """Return the bin dir for key, building it first if needed (one builder at a time)."""
    root = versions.cache_root() / key
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_built(key):
            return bin_dir(key)
        if not shutil.which("go"):
            raise lab_error("build kubebin", "the go command is not on PATH")
        _build_locked(root, log)
    return bin_dir(key)


def _build_locked(root: Path, log) -> None:
    env = {**os.environ, "CGO_ENABLED": "0"}
    staging = root / "bin.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    cmd = ["go", "build", "-v", "-trimpath", "-buildvcs=false", "-mod=readonly", "-p", str(os.cpu_count() or 2),
           "-ldflags", _ldflags(), "-o", str(staging / "kubebin"), "."]
    timer = ["/usr/bin/time", "-v"] if os.path.exists("/usr/bin/time") else []
    print(f"[lab] building kubebin (Kubernetes {versions.KUBERNETES}, etcd {versions.ETCD}, kwok {versions.KWOK}) "
          f"into {root}; the first build takes 15-30 minutes on 2 cores", file=log, flush=True)
    print("[lab] resolving modules (downloads about 1 GiB through the Go module proxy the first time)",
          file=log, flush=True)
    progress = _Progress(_count_deps(env), out=log)
    ticker = threading.Thread(target=progress.run, daemon=True)
    ticker.start()
    start = time.monotonic()
    tail: list[str] = []
    with open(root / "build.log", "w") as blog:
        proc = subprocess.Popen(timer + cmd, cwd=versions.KUBEBIN_DIR, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in proc.stdout:
            blog.write(line)
            if re.match(r"^[\w.\-]+(/[\w.\-~+]+)*$", line.strip()):
                progress.done += 1
            tail = (tail + [line])[-40:]
        rc = proc.wait()
    progress.stop()
    if rc != 0:
        raise lab_error("build kubebin", f"go build exited {rc}; see {root / 'build.log'}:\n" + "".join(tail[-15:]))
    _build_toxiproxy(staging, env, log)
    seconds = time.monotonic() - start
    peak = next((int(m.group(1)) for m in re.finditer(r"Maximum resident set size \(kbytes\): (\d+)",
                                                      "".join(tail))), None)
    for name in versions.COMMANDS:
        (staging / name).symlink_to("kubebin")
    final = root / "bin"
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    info = {"seconds": round(seconds, 1), "peak_rss_kib": peak, "packages": progress.done,
            "go": versions.go_version(), "kubernetes": versions.KUBERNETES, "etcd": versions.ETCD,
            "kwok": versions.KWOK, "binary_bytes": (final / "kubebin").stat().st_size}
    (root / "build.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"[lab] built kubebin in {seconds / 60:.1f} min (peak RSS "
          f"{(peak or 0) / 1048576:.1f} GiB), cached under {final}", file=log, flush=True)


def _build_toxiproxy(dest: Path, env: dict[str, str], log) -> None:
    """toxiproxy's go.mod has no replace directives, so go install builds it straight from the proxy."""
    print(f"[lab] building toxiproxy {versions.TOXIPROXY}", file=log, flush=True)
    gobin = dest / "gobin"
    res = subprocess.run(["go", "install", "-trimpath", "-ldflags", "-s -w",
                          f"github.com/Shopify/toxiproxy/v2/cmd/server@{versions.TOXIPROXY}"],
                         env={**env, "GOBIN": str(gobin)}, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise lab_error("build toxiproxy", res.stderr.strip()[-1500:])
    (gobin / "server").rename(dest / "toxiproxy-server")
    gobin.rmdir()


def ensure_binaries(log=sys.stderr) -> Path:
    return build(versions.cache_key(versions.go_version()), log=log)
