"""The lab's monitoring (`python -m lab up --monitoring`): per site kube-state-metrics against the
site's API server and a Prometheus scraping it, loading the collection's rules; a fleet Prometheus
federating every site's and sending its alerts to an Alertmanager; the controller's node exporter
(textfile collector only) serving the rollout metrics file, scraped by the first site as a
controller's site Prometheus would. Each site's Prometheus is reached by the fleet through the
site's WAN link (a second toxiproxy proxy with the site's latency). Processes start and stop by PID
file like the control planes; `monitoring.json` beside lab.json tells tests where everything listens.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from lab import kubeconfig, link, procs, state
from lab.config import LabConfig, SiteConfig
from lab.errors import lab_error
from lab.paths import REPO, data_dir, site_dir, state_dir

RULES = REPO / "roles" / "prometheus" / "files" / "rules"
KSM_PORT = 8080
KSM_TELEMETRY_PORT = 8081
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
NODE_EXPORTER_PORT = 9100
WAN_PROXY = "prometheus"
# Short intervals and grace so a test sees an alert in seconds; production keeps the rule's own.
SCRAPE_INTERVAL = "5s"
DEFAULT_DRIFT_GRACE = "20s"
DRIFT_ALERT = "GpufleetModelVersionDrift"
COMPONENTS = ("kube-state-metrics", "prometheus")
FLEET_COMPONENTS = ("prometheus", "alertmanager", "node-exporter")
# Debian's packages (prometheus, prometheus-alertmanager, prometheus-node-exporter): binary -> package.
BINARIES = {"prometheus": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager",
            "prometheus-node-exporter": "prometheus-node-exporter"}


def ksm_address(site: SiteConfig) -> str:
    return f"127.{site.net}.{site.index}.30"


def prometheus_address(site: SiteConfig) -> str:
    return f"127.{site.net}.{site.index}.31"


def fleet_address(cfg: LabConfig) -> str:
    return f"127.{cfg.sites[0].net}.0.31"


def alertmanager_address(cfg: LabConfig) -> str:
    return f"127.{cfg.sites[0].net}.0.32"


def node_exporter_address(cfg: LabConfig) -> str:
    """The controller's node exporter (where rollout.yml runs and writes its metrics file)."""
    return f"127.{cfg.sites[0].net}.0.33"


def fleet_dir() -> Path:
    return state_dir() / "fleet"


def monitoring_json() -> Path:
    return data_dir() / "monitoring.json"


def _pid(d: Path, name: str) -> Path:
    return d / "pids" / f"{name}.pid"


def _log(d: Path, name: str) -> Path:
    return d / "logs" / f"{name}.log"


def lab_rules(dest: Path, grace: str) -> list[str]:
    """The collection's rule files, the drift alert's grace period shortened to `grace`."""
    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for path in sorted(RULES.glob("*.yml")):
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == DRIFT_ALERT:
                    rule["for"] = grace
        (dest / path.name).write_text(yaml.safe_dump(doc, sort_keys=False))
        files.append(str(dest / path.name))
    return files


def textfile_dir() -> Path:
    """The controller's textfile collector directory: `rollout.yml -e rollout_metrics_dir=<it>`."""
    return fleet_dir() / "textfile"


def dcgm_targets_file(site_name: str) -> Path:
    """file_sd targets of the site's dcgm-exporter job: empty in the lab (no GPU); a test may list
    a server of recorded dcgm-exporter output there."""
    return site_dir(site_name) / "monitoring" / "dcgm-targets.json"


def _alerting(cfg: LabConfig) -> dict[str, Any]:
    return {"alertmanagers": [{"static_configs": [{"targets": [f"{alertmanager_address(cfg)}:{ALERTMANAGER_PORT}"]}]}]}


def site_prometheus_config(site: SiteConfig, rule_files: list[str], cfg: LabConfig | None = None) -> dict[str, Any]:
    """`cfg` given: the site also sends its alerts to the lab's Alertmanager, and the first site
    scrapes the controller's node exporter (its textfile collector holds the rollout metrics)."""
    labels = {"site": site.name, "region": site.region}
    jobs: list[dict[str, Any]] = [
        {"job_name": "kube-state-metrics", "static_configs": [
            {"targets": [f"{ksm_address(site)}:{KSM_PORT}"], "labels": labels}]},
        {"job_name": "dcgm-exporter", "file_sd_configs": [{"files": [str(dcgm_targets_file(site.name))]}],
         "relabel_configs": [{"target_label": k, "replacement": v} for k, v in labels.items()]}]
    config: dict[str, Any] = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL,
                   "external_labels": labels},
        "rule_files": rule_files,
        "scrape_configs": jobs,
    }
    if cfg is not None:
        config["alerting"] = _alerting(cfg)
        if site.name == cfg.sites[0].name:
            # No site target label: the rollout metrics carry their own `site` per series.
            jobs.append({"job_name": "node", "static_configs": [
                {"targets": [f"{node_exporter_address(cfg)}:{NODE_EXPORTER_PORT}"], "labels": {"instance": "controller"}}]})
    return config


def alertmanager_config() -> dict[str, Any]:
    """One receiver without integrations: the lab shows alerts through the API, it notifies no one."""
    return {"route": {"receiver": "lab", "group_by": ["alertname", "site", "model"],
                      "group_wait": "1s", "group_interval": "5s", "repeat_interval": "1h"},
            "receivers": [{"name": "lab"}]}


def fleet_prometheus_config(cfg: LabConfig, rule_files: list[str]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL,
                   "external_labels": {"site": "fleet"}},
        "alerting": _alerting(cfg),
        "rule_files": rule_files,
        "scrape_configs": [{
            "job_name": "federate", "metrics_path": "/federate", "honor_labels": True,
            # Samples stamped with the scrape's time: a series gone from a site then goes stale on
            # the fleet at the next scrape (with the site's timestamps it would linger for the
            # 5-minute lookback, and a fixed site would look drifted that long).
            "honor_timestamps": False,
            "params": {"match[]": ['{__name__=~"gpufleet:.*"}', '{__name__=~"gpufleet_rollout_.*"}', "up", "ALERTS"]},
            # Through the site's WAN link, as a fleet Prometheus in another region would.
            "static_configs": [{"targets": [f"{s.address}:{PROMETHEUS_PORT}"],
                                "labels": {"site": s.name, "region": s.region}} for s in cfg.sites]}],
    }


def _prometheus_argv(binary: str, d: Path, address: str) -> list[str]:
    return [binary, f"--config.file={d / 'prometheus.yml'}", f"--storage.tsdb.path={d / 'prometheus-data'}",
            f"--web.listen-address={address}:{PROMETHEUS_PORT}", "--storage.tsdb.retention.time=1d",
            "--log.level=warn"]


def _wait_ready(url: str, pid_file: Path, log_file: Path, what: str, site: str | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                answer.read()
            return
        except OSError as e:
            if procs.exited_early(pid_file) or time.monotonic() > deadline:
                tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else "(no log)"
                raise lab_error(f"start {what}", f"{url} not ready ({e}); last log lines:\n{tail}", site=site) from e
            time.sleep(0.3)


def _start(argv: list[str], d: Path, name: str, ready_url: str, site: str | None) -> bool:
    pid = procs.read_pid(_pid(d, name))
    if pid:
        if name in ("prometheus", "alertmanager"):
            os.kill(pid, signal.SIGHUP)  # re-read the configuration and rules just written
        return False
    procs.start(argv, _pid(d, name), _log(d, name))
    _wait_ready(ready_url, _pid(d, name), _log(d, name), name, site)
    return True


def _wan_link(site: SiteConfig, rtt_ms: float) -> None:
    """The fleet's path to the site's Prometheus: toxiproxy at the site's public address."""
    # pylint: disable=protected-access  # the link module's one HTTP helper, reused rather than copied
    link._call(site, "POST", "/populate", [{
        "name": WAN_PROXY, "listen": f"{site.address}:{PROMETHEUS_PORT}",
        "upstream": f"{prometheus_address(site)}:{PROMETHEUS_PORT}", "enabled": True}])
    current = {t["name"] for t in link._call(site, "GET", f"/proxies/{WAN_PROXY}/toxics") or []}
    for name, toxic in link.desired_toxics(rtt_ms, False).items():
        if name not in current:
            link._call(site, "POST", f"/proxies/{WAN_PROXY}/toxics", toxic)


def up(cfg: LabConfig) -> dict[str, Any]:
    """Start whatever monitoring process is not running; write monitoring.json. Idempotent."""
    from lab.monitoring_build import ensure_kube_state_metrics

    found = {name: shutil.which(name) for name in BINARIES}
    missing = sorted(BINARIES[name] for name, path in found.items() if not path)
    if missing:
        raise lab_error("start the lab's monitoring", f"not on PATH: {', '.join(missing)} "
                        f"(apt-get install {' '.join(missing)}; scripts/integration.sh does)")
    binary = found["prometheus"]
    ksm = ensure_kube_state_metrics()
    grace = os.environ.get("GPUFLEET_LAB_DRIFT_GRACE", DEFAULT_DRIFT_GRACE)
    faults = state.load_faults()
    started = []
    for site in cfg.sites:
        d = site_dir(site.name) / "monitoring"
        d.mkdir(parents=True, exist_ok=True)
        pki = site_dir(site.name) / "pki"
        # Inside the site: the API server's own address, not across the WAN link.
        kubeconfig.write(d / "kubeconfig", kubeconfig.render(site.name, site.api_internal_url, pki, "admin"))
        if _start([str(ksm), f"--kubeconfig={d / 'kubeconfig'}", f"--host={ksm_address(site)}",
                   f"--port={KSM_PORT}", f"--telemetry-host={ksm_address(site)}",
                   f"--telemetry-port={KSM_TELEMETRY_PORT}", "--resources=deployments,nodes,pods",
                   "--metric-labels-allowlist=deployments=[app.kubernetes.io/name,app.kubernetes.io/version]"],
                  d, "kube-state-metrics", f"http://{ksm_address(site)}:{KSM_PORT}/healthz", site.name):
            started.append(f"{site.name}/kube-state-metrics")
        rules = lab_rules(d / "rules", grace)
        if not dcgm_targets_file(site.name).exists():
            dcgm_targets_file(site.name).write_text("[]\n")
        (d / "prometheus.yml").write_text(yaml.safe_dump(site_prometheus_config(site, rules, cfg), sort_keys=False))
        if _start(_prometheus_argv(binary, d, prometheus_address(site)), d, "prometheus",
                  f"http://{prometheus_address(site)}:{PROMETHEUS_PORT}/-/ready", site.name):
            started.append(f"{site.name}/prometheus")
        _wan_link(site, state.effective_rtt(site, faults))
    d = fleet_dir()
    d.mkdir(parents=True, exist_ok=True)
    textfile_dir().mkdir(exist_ok=True)
    # The fleet Prometheus's Alertmanager first, so its first alerts find it.
    (d / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_config(), sort_keys=False))
    am = f"{alertmanager_address(cfg)}:{ALERTMANAGER_PORT}"
    if _start([found["prometheus-alertmanager"], f"--config.file={d / 'alertmanager.yml'}",
               f"--storage.path={d / 'alertmanager-data'}", f"--web.listen-address={am}",
               "--cluster.listen-address=", "--log.level=warn"],
              d, "alertmanager", f"http://{am}/-/ready", None):
        started.append("fleet/alertmanager")
    ne = f"{node_exporter_address(cfg)}:{NODE_EXPORTER_PORT}"
    if _start([found["prometheus-node-exporter"], f"--web.listen-address={ne}", "--collector.disable-defaults",
               "--collector.textfile", f"--collector.textfile.directory={textfile_dir()}", "--log.level=warn"],
              d, "node-exporter", f"http://{ne}/metrics", None):
        started.append("fleet/node-exporter")
    rules = lab_rules(d / "rules", grace)
    (d / "prometheus.yml").write_text(yaml.safe_dump(fleet_prometheus_config(cfg, rules), sort_keys=False))
    if _start(_prometheus_argv(binary, d, fleet_address(cfg)), d, "prometheus",
              f"http://{fleet_address(cfg)}:{PROMETHEUS_PORT}/-/ready", None):
        started.append("fleet/prometheus")
    doc = {
        "fleet_prometheus": f"http://{fleet_address(cfg)}:{PROMETHEUS_PORT}",
        "alertmanager": f"http://{am}",
        "node_exporter": f"http://{ne}",
        "rollout_metrics_dir": str(textfile_dir()),
        "drift_grace": grace, "scrape_interval": SCRAPE_INTERVAL,
        "sites": {s.name: {"prometheus": f"http://{prometheus_address(s)}:{PROMETHEUS_PORT}",
                           "prometheus_wan": f"http://{s.address}:{PROMETHEUS_PORT}",
                           "kube_state_metrics": f"http://{ksm_address(s)}:{KSM_PORT}",
                           "dcgm_targets": str(dcgm_targets_file(s.name))} for s in cfg.sites},
    }
    monitoring_json().parent.mkdir(parents=True, exist_ok=True)
    monitoring_json().write_text(json.dumps(doc, indent=2) + "\n")
    doc["started"] = started
    return doc


def down() -> list[str]:
    """Stop every monitoring process the lab recorded (before the sites' state goes)."""
    stopped = []
    for component in FLEET_COMPONENTS:
        if procs.stop(_pid(fleet_dir(), component)):
            stopped.append(f"fleet/{component}")
    sites_root = state_dir() / "sites"
    for name in sorted(p.name for p in sites_root.iterdir()) if sites_root.is_dir() else []:
        for component in COMPONENTS:
            if procs.stop(_pid(site_dir(name) / "monitoring", component)):
                stopped.append(f"{name}/{component}")
    monitoring_json().unlink(missing_ok=True)
    return stopped
