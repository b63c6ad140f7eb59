"""Command lines of one site's control-plane components, in start order."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import API_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT, TOXIPROXY_PORT, SiteConfig


@dataclass(frozen=True)
class Component:
    name: str
    argv: list[str]


def etcd(site: SiteConfig, bin_dir: Path, d: Path) -> Component:
    client = f"http://{site.etcd_address}:{ETCD_CLIENT_PORT}"
    peer = f"http://{site.etcd_address}:{ETCD_PEER_PORT}"
    return Component("etcd", [
        str(bin_dir / "etcd"), f"--name={site.name}", f"--data-dir={d / 'etcd'}",
        f"--listen-client-urls={client}", f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster={site.name}={peer}", "--initial-cluster-state=new",
        # A lab's data is disposable: skipping fsync keeps three etcds from fighting over the disk.
        "--unsafe-no-fsync", "--quota-backend-bytes=1073741824", "--log-level=warn",
    ])


def kube_apiserver(site: SiteConfig, bin_dir: Path, d: Path) -> Component:
    pki = d / "pki"
    return Component("kube-apiserver", [
        str(bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://{site.etcd_address}:{ETCD_CLIENT_PORT}",
        f"--bind-address={site.api_internal_address}", f"--advertise-address={site.api_internal_address}",
        f"--secure-port={API_PORT}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-cluster-ip-range={site.service_cidr}",
        "--authorization-mode=RBAC", "--allow-privileged=true",
        # Loopback addresses are invalid Endpoints, so don't publish the kubernetes Service's.
        "--endpoint-reconciler-type=none",
        "--profiling=false", "--v=1",
    ])


def kube_controller_manager(site: SiteConfig, bin_dir: Path, d: Path) -> Component:
    pki = d / "pki"
    kc = str(d / "kubeconfig.controller-manager")
    return Component("kube-controller-manager", [
        str(bin_dir / "kube-controller-manager"), f"--kubeconfig={kc}",
        f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}",
        "--leader-elect=false", f"--bind-address={site.etcd_address}", "--secure-port=10257",
        f"--root-ca-file={pki / 'ca.crt'}", f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}", f"--cluster-signing-key-file={pki / 'ca.key'}",
        "--allocate-node-cidrs=true", f"--cluster-cidr={site.pod_cidr}", "--node-cidr-mask-size=24",
        f"--service-cluster-ip-range={site.service_cidr}",
        # The default 20 requests/s would make the lab's controllers, not the code under test, the
        # bottleneck of a 50-model site (a ReplicaSet, pods and status writes per model); large
        # production clusters raise it the same way.
        "--kube-api-qps=200", "--kube-api-burst=400",
        "--profiling=false", "--v=1",
    ])


def kube_scheduler(site: SiteConfig, bin_dir: Path, d: Path) -> Component:
    kc = str(d / "kubeconfig.scheduler")
    return Component("kube-scheduler", [
        str(bin_dir / "kube-scheduler"), f"--kubeconfig={kc}",
        f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}",
        "--leader-elect=false", f"--bind-address={site.etcd_address}", "--secure-port=10259",
        "--kube-api-qps=200", "--kube-api-burst=400",
        "--profiling=false", "--v=1",
    ])


def kwok(site: SiteConfig, bin_dir: Path, d: Path) -> Component:
    return Component("kwok", [
        str(bin_dir / "kwok"), f"--kubeconfig={d / 'kubeconfig.kwok'}", f"--config={d / 'kwok.yaml'}",
        "--manage-all-nodes=true", f"--cidr={site.pod_cidr}", f"--node-ip={site.api_internal_address}",
        "--node-lease-duration-seconds=40",
    ])


def toxiproxy(site: SiteConfig, bin_dir: Path, d: Path) -> Component:
    return Component("toxiproxy", [str(bin_dir / "toxiproxy-server"), "-host", site.link_address,
                                   "-port", str(TOXIPROXY_PORT)])


def all_components(site: SiteConfig, bin_dir: Path, d: Path) -> list[Component]:
    return [f(site, bin_dir, d)
            for f in (etcd, kube_apiserver, toxiproxy, kube_controller_manager, kube_scheduler, kwok)]
