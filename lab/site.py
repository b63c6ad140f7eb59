"""Bring one site's control plane up or down, and apply faults to it."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import yaml

from lab import components, health, kubeconfig, link, procs
from lab.config import API_PORT, ETCD_CLIENT_PORT, TOXIPROXY_PORT, SiteConfig
from lab.errors import lab_error
from lab.paths import site_dir
from lab.pki import ensure_site_pki

STAGES = Path(__file__).resolve().parent / "stages.yaml"
COMPONENT_IDENTITY = {"kube-controller-manager": "controller-manager", "kube-scheduler": "scheduler",
                      "kwok": "kwok"}
START_ORDER = ("etcd", "kube-apiserver", "toxiproxy", "kube-controller-manager", "kube-scheduler", "kwok")


def pid_file(site: str, component: str) -> Path:
    return site_dir(site) / "pids" / f"{component}.pid"


def log_file(site: str, component: str) -> Path:
    return site_dir(site) / "logs" / f"{component}.log"


def admin_kubeconfig(site: str) -> Path:
    return site_dir(site) / "kubeconfig"


def _log_tail(site: str, component: str, lines: int = 12) -> str:
    try:
        return "\n".join(log_file(site, component).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def prepare(site: SiteConfig) -> None:
    """PKI, kubeconfigs and the kwok stage file; all kept across `up`s of a running lab."""
    d = site_dir(site.name)
    ensure_site_pki(d / "pki", site.name, [site.address, site.api_internal_address, site.service_ip])
    kubeconfig.write(admin_kubeconfig(site.name), kubeconfig.render(site.name, site.api_url, d / "pki", "admin"))
    # The site's own components talk to the API server directly, not across the WAN link.
    for ident in COMPONENT_IDENTITY.values():
        kubeconfig.write(d / f"kubeconfig.{ident}",
                         kubeconfig.render(site.name, site.api_internal_url, d / "pki", ident))
    stages = yaml.safe_load(STAGES.read_text())["stages"]
    (d / "kwok.yaml").write_text(yaml.safe_dump_all(stages, sort_keys=False))


def _wait_tcp(address: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def start_component(site: SiteConfig, name: str, bin_dir: Path, timeout: float = 120.0) -> bool:
    """Start one component unless already running; wait until it serves. True if started now."""
    if procs.read_pid(pid_file(site.name, name)):
        return False
    comp = {c.name: c for c in components.all_components(site, bin_dir, site_dir(site.name))}[name]
    procs.start(comp.argv, pid_file(site.name, name), log_file(site.name, name))
    if name == "etcd":
        ok = _wait_tcp(site.etcd_address, ETCD_CLIENT_PORT, timeout)
        why = "etcd client port never opened"
    elif name == "kube-apiserver":
        ok, why = health.wait_ready(site.api_internal_address, health.tls_context(site_dir(site.name) / "pki"),
                                    timeout)
    elif name == "toxiproxy":
        ok = _wait_tcp(site.link_address, TOXIPROXY_PORT, timeout)
        why = "toxiproxy API port never opened"
    else:
        time.sleep(0.5)  # catch an immediate flag or config error
        ok, why = True, ""
    if not ok or procs.exited_early(pid_file(site.name, name)):
        raise lab_error(f"start {name}", f"{why or 'process exited'}; last log lines:\n{_log_tail(site.name, name)}",
                        site=site.name)
    return True


def up(site: SiteConfig, bin_dir: Path, rtt_ms: float, partitioned: bool, api_down: bool) -> list[str]:
    """Ensure every component runs (honouring a recorded `fault down`); returns what was started."""
    prepare(site)
    started = []
    for name in START_ORDER:
        if name == "kube-apiserver" and api_down:
            continue
        if start_component(site, name, bin_dir):
            started.append(name)
        if name == "toxiproxy":
            link.configure(site, rtt_ms, partitioned, enabled=not api_down)
    if not api_down and not _wait_tcp(site.address, API_PORT, 10):
        raise lab_error("open the WAN link", f"nothing listens on {site.address}:{API_PORT}", site=site.name)
    return started


def down(site_name: str) -> list[str]:
    """Stop the site's processes in reverse start order; returns the ones that were running."""
    stopped = []
    for name in reversed(START_ORDER):
        if procs.stop(pid_file(site_name, name)):
            stopped.append(name)
    return stopped


def running(site_name: str) -> dict[str, int | None]:
    return {name: procs.read_pid(pid_file(site_name, name)) for name in START_ORDER}
