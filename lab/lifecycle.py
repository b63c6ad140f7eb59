"""Lab-wide operations behind the CLI: up, down, status, fault."""
from __future__ import annotations

import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lab import build, cluster, health, inventory, link, procs, site, state
from lab.config import LabConfig, SiteConfig
from lab.errors import LabError, lab_error
from lab.paths import site_dir, state_dir


def _say(msg: str) -> None:
    print(f"[lab] {msg}", file=sys.stderr, flush=True)


def _parallel(fn, items) -> list:
    # One thread per site: start-up is mostly waiting on the API servers.
    with ThreadPoolExecutor(max_workers=max(1, len(items))) as pool:
        return list(pool.map(fn, items))


def up(cfg: LabConfig) -> LabConfig:
    """Idempotent: starts whatever is not running, re-applies latency, rewrites the inventory."""
    previous = state.load_config()
    if previous is not None and previous != cfg and any(site.running(s.name)["etcd"] for s in previous.sites):
        raise lab_error("bring the lab up", "a lab with a different site config is running; "
                        "run `python -m lab down` first")
    bin_dir = build.ensure_binaries()
    state.save_config(cfg)
    faults = state.load_faults()
    start = time.monotonic()

    def one(s: SiteConfig) -> list[str]:
        f = faults.get(s.name, state.Faults())
        started = site.up(s, bin_dir, state.effective_rtt(s, faults), f.partitioned, f.api_down)
        if not f.api_down and not f.partitioned:
            cluster.ensure_ready(s)
        return started

    try:
        results = _parallel(one, list(cfg.sites))
    except LabError:
        raise
    except Exception as e:  # kubernetes client errors, OSError from tc/processes
        raise lab_error("bring the lab up", e) from e
    inv = inventory.write(cfg, {s.name: site.admin_kubeconfig(s.name) for s in cfg.sites}, bin_dir)
    for s, started in zip(cfg.sites, results):
        _say(f"{s.name}: {'started ' + ', '.join(started) if started else 'already running'}")
    _say(f"lab up in {time.monotonic() - start:.1f}s; inventory {inv}")
    return cfg


def down() -> list[str]:
    """Stop every process the lab recorded (WAN links included), remove state and inventory."""
    stopped = []
    sites_root = state_dir() / "sites"
    names = sorted(p.name for p in sites_root.iterdir()) if sites_root.is_dir() else []
    for name in names:
        for comp in site.down(name):
            stopped.append(f"{name}/{comp}")
    inventory.remove()
    shutil.rmtree(state_dir(), ignore_errors=True)
    return stopped


def _site_status(s: SiteConfig, faults: dict[str, state.Faults]) -> dict[str, Any]:
    pids = site.running(s.name)
    f = faults.get(s.name, state.Faults())
    ready, why = health.readyz(s.address, health.tls_context(site_dir(s.name) / "pki"), timeout=3)
    out: dict[str, Any] = {
        "site": s.name, "api": s.api_url, "healthy": ready, "detail": "" if ready else why,
        "processes": dict(pids),
        "rtt_configured_ms": state.effective_rtt(s, faults),
        "rtt_measured_ms": health.link_rtt_ms(s.address, s.api_internal_address,
                                              health.tls_context(site_dir(s.name) / "pki")) if ready else None,
        "faults": [k for k, on in (("api down", f.api_down), ("partitioned", f.partitioned),
                                   ("latency override", f.rtt_ms is not None)) if on],
        "rss_mib": round(sum(procs.rss_kib(p) for p in pids.values() if p) / 1024),
        "pss_mib": round(sum(procs.pss_kib(p) for p in pids.values() if p) / 1024),
    }
    if ready:
        try:
            out.update(cluster.gpu_summary(s))
        except Exception as e:  # status must still print for a half-broken site
            out["detail"] = f"listing nodes failed: {e}"
    return out


def status() -> list[dict[str, Any]]:
    cfg = state.require_config()
    faults = state.load_faults()
    return _parallel(lambda s: _site_status(s, faults), list(cfg.sites))


def fault(site_name: str, action: str, arg: float | None = None) -> str:
    cfg = state.require_config()
    s = cfg.site(site_name)
    faults = state.load_faults()
    f = faults.setdefault(s.name, state.Faults())
    if action == "down":
        f.api_down = True
        state.save_faults(faults)
        # A stopped API server behind an open proxy would accept then reset; refuse like a dead host.
        link.set_enabled(s, False)
        procs.stop(site.pid_file(s.name, "kube-apiserver"))
        msg = f"{s.name}: API server stopped, connections refused"
    elif action == "up":
        f.api_down = False
        state.save_faults(faults)
        bin_dir = build.bin_dir(build.versions.cache_key(build.versions.go_version()))
        site.start_component(s, "kube-apiserver", bin_dir)
        # The site's own clients (controllers, scheduler, kwok) back off up to a minute between
        # relists after a long outage; a site coming back restarts them, as a rebooted control plane would.
        for name in ("kube-controller-manager", "kube-scheduler", "kwok"):
            procs.stop(site.pid_file(s.name, name))
            site.start_component(s, name, bin_dir)
        link.set_enabled(s, True)
        msg = f"{s.name}: API server running"
    elif action in ("latency", "partition", "heal"):
        if action == "latency":
            if arg is None or arg < 0:
                raise lab_error("set latency", f"latency needs a value in ms >= 0, got {arg!r}", site=s.name)
            f.rtt_ms = arg
        elif action == "heal":
            f.rtt_ms = None  # heal restores the configured link: no loss, configured RTT
        f.partitioned = action == "partition" or (action == "latency" and f.partitioned)
        link.configure(s, state.effective_rtt(s, faults), f.partitioned, enabled=not f.api_down)
        state.save_faults(faults)
        msg = (f"{s.name}: link {'partitioned (100% loss)' if f.partitioned else 'healed'}, "
               f"RTT {state.effective_rtt(s, faults):g} ms")
    else:
        raise lab_error("apply fault", f"unknown action {action!r}", site=s.name)
    return msg
