"""python -m lab up|down|status|fault <site> down|up|latency <ms>|partition|heal"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
from pathlib import Path

from lab import lifecycle, monitoring
from lab.config import load_config
from lab.errors import LabError
from lab.paths import state_dir


def _fmt_rtt(v) -> str:
    return "-" if v is None else f"{v:.1f}"


def render_status(rows: list[dict]) -> str:
    head = f"{'SITE':<10} {'HEALTH':<9} {'API':<26} {'NODES':<7} {'GPUS FREE':<10} {'RTT ms':<16} {'RSS MiB':<8} FAULTS"
    lines = [head]
    for r in rows:
        nodes = f"{r.get('nodes_ready', '-')}/{r.get('nodes', '-')}"
        gpus = f"{r.get('gpus_free', '-')}/{r.get('gpus', '-')}"
        rtt = f"{_fmt_rtt(r['rtt_measured_ms'])} (cfg {r['rtt_configured_ms']:g})"
        health = "ready" if r["healthy"] else "DOWN"
        lines.append(f"{r['site']:<10} {health:<9} {r['api']:<26} {nodes:<7} {gpus:<10} {rtt:<16} "
                     f"{r['rss_mib']:<8} {', '.join(r['faults']) or '-'}")
        if r["detail"]:
            lines.append(f"{'':<10} {r['detail']}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lab", description="Local multi-site Kubernetes lab.")
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="build if needed, start every site, write inventories/lab/")
    up.add_argument("--config", help="YAML/JSON with a sites: list (default: GPUFLEET_LAB_CONFIG or 3 sites)")
    up.add_argument("--monitoring", action="store_true",
                    help="also run kube-state-metrics and Prometheus per site, a fleet Prometheus, an "
                         "Alertmanager and the controller's node exporter (rollout metrics) "
                         "(or GPUFLEET_LAB_MONITORING=1)")
    sub.add_parser("down", help="stop every lab process, remove tc qdisc, state and inventory")
    st = sub.add_parser("status", help="health, API address, nodes, free GPUs, measured RTT per site")
    st.add_argument("--json", action="store_true")
    sub.add_parser("build", help="only build (or find cached) binaries and print their directory")
    f = sub.add_parser("fault", help="inject or clear a fault on one site")
    f.add_argument("site")
    f.add_argument("action", choices=["down", "up", "latency", "partition", "heal"])
    f.add_argument("value", nargs="?", type=float, help="RTT in ms for latency")
    return p


def _lock():
    """Serialise commands that change the lab (several shells or test sessions may share it)."""
    path = Path(f"{state_dir()}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w", encoding="utf-8")  # pylint: disable=consider-using-with  # held until exit
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.cmd in ("up", "down", "fault"):
        _lock()
    try:
        if args.cmd == "up":
            cfg = lifecycle.up(load_config(args.config))
            if args.monitoring or os.environ.get("GPUFLEET_LAB_MONITORING") == "1":
                print(f"monitoring: fleet Prometheus {monitoring.up(cfg)['fleet_prometheus']}")
            print(render_status(lifecycle.status()))
        elif args.cmd == "down":
            stopped = monitoring.down() + lifecycle.down()
            print(f"stopped {len(stopped)} processes" + (f": {', '.join(stopped)}" if stopped else ""))
        elif args.cmd == "status":
            rows = lifecycle.status()
            print(json.dumps(rows, indent=2) if args.json else render_status(rows))
            return 0 if all(r["healthy"] for r in rows) else 3
        elif args.cmd == "build":
            from lab.build import ensure_binaries

            print(ensure_binaries())
        elif args.cmd == "fault":
            print(lifecycle.fault(args.site, args.action, args.value))
    except LabError as e:
        print(f"lab: {e}", file=sys.stderr)
        return 1
    return 0
