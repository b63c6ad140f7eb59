"""Pinned component versions and the cache key that names a build of them."""
import hashlib
import os
import subprocess
from pathlib import Path

KUBERNETES = "v1.33.13"  # k8s.io/kubernetes; staging modules pinned to v0.33.13 in kubebin/go.mod
ETCD = "v3.5.21"  # the etcd version k8s.io/kubernetes v1.33.13 itself requires
KWOK = "v0.7.0"  # built against Kubernetes 1.33 libraries
TOXIPROXY = "v2.12.0"  # github.com/Shopify/toxiproxy/v2: the sites' WAN links (latency, partition)
KUBE_STATE_METRICS = "v2.15.0"  # k8s.io/kube-state-metrics/v2: `up --monitoring` (lab/monitoring_build.py)

KUBEBIN_DIR = Path(__file__).resolve().parent / "kubebin"
# Names the multi-call binary answers to; each becomes a symlink in the cache bin dir.
COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd", "kwok")


def go_version() -> str:
    out = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def source_digest() -> str:
    """Digest of the wrapper module, so editing it (or its pins) invalidates the cache."""
    h = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        h.update((KUBEBIN_DIR / name).read_bytes())
    return h.hexdigest()[:10]


def cache_key(go: str) -> str:
    return f"k8s-{KUBERNETES}_etcd-{ETCD}_kwok-{KWOK}_toxiproxy-{TOXIPROXY}_{go}_{source_digest()}"


def cache_root() -> Path:
    default = Path.home() / ".cache" / "gpufleet-lab"
    return Path(os.environ.get("GPUFLEET_LAB_CACHE", default))
