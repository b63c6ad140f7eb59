"""The lab's monitoring configuration (lab/monitoring.py), checked by promtool without a lab: the
site and fleet Prometheus configs are valid with the collection's rules, the fleet federates every
site through its WAN address, the Alertmanager config passes amtool, every Prometheus sends its
alerts there, and only the drift alert's grace period differs from the shipped rules."""
from __future__ import annotations

import shutil
import subprocess

import yaml

from lab import monitoring
from lab.config import default_config


def amtool_check_config(path):
    binary = shutil.which("amtool")
    assert binary, "amtool is not installed (scripts/integration.sh installs Debian's prometheus-alertmanager)"
    return subprocess.run([binary, "check-config", str(path)], capture_output=True, text=True, check=False)


def promtool_check_config(path):
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed (scripts/integration.sh installs Debian's prometheus package)"
    return subprocess.run([binary, "check", "config", str(path)], capture_output=True, text=True, check=False)


def test_site_and_fleet_configs_pass_promtool(tmp_path):
    cfg = default_config()
    rules = monitoring.lab_rules(tmp_path / "rules", "20s")
    site = cfg.sites[0]
    (tmp_path / "site.yml").write_text(yaml.safe_dump(monitoring.site_prometheus_config(site, rules)))
    (tmp_path / "fleet.yml").write_text(yaml.safe_dump(monitoring.fleet_prometheus_config(cfg, rules)))
    (tmp_path / "first-site.yml").write_text(yaml.safe_dump(monitoring.site_prometheus_config(site, rules, cfg)))
    for name in ("site.yml", "fleet.yml", "first-site.yml"):
        res = promtool_check_config(tmp_path / name)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "SUCCESS" in res.stdout + res.stderr


def test_the_fleet_federates_every_site_through_its_wan_link():
    cfg = default_config()
    job = monitoring.fleet_prometheus_config(cfg, [])["scrape_configs"][0]
    assert job["metrics_path"] == "/federate" and job["honor_labels"] is True and job["honor_timestamps"] is False
    assert [(c["targets"], c["labels"]["site"]) for c in job["static_configs"]] == [
        (["%s:9090" % s.address], s.name) for s in cfg.sites]
    assert '{__name__=~"gpufleet:.*"}' in job["params"]["match[]"] and "ALERTS" in job["params"]["match[]"]


def test_only_the_drift_grace_is_changed(tmp_path):
    shipped = {p.name: yaml.safe_load(p.read_text()) for p in sorted(monitoring.RULES.glob("*.yml"))}
    written = {p.split("/")[-1]: yaml.safe_load(open(p, encoding="utf-8").read())
               for p in monitoring.lab_rules(tmp_path, "20s")}
    assert set(written) == set(shipped)
    for name, doc in shipped.items():
        for group, lab_group in zip(doc["groups"], written[name]["groups"]):
            for rule, lab_rule in zip(group["rules"], lab_group["rules"]):
                if rule.get("alert") == "GpufleetModelVersionDrift":
                    assert (rule["for"], lab_rule["for"]) == ("30m", "20s")
                    lab_rule["for"] = rule["for"]
                assert lab_rule == rule


def test_the_alertmanager_config_passes_amtool(tmp_path):
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(monitoring.alertmanager_config()))
    res = amtool_check_config(tmp_path / "alertmanager.yml")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout + res.stderr


def test_every_prometheus_alerts_to_the_alertmanager_and_the_first_site_scrapes_the_controller():
    cfg = default_config()
    am = ["127.%d.0.32:9093" % cfg.sites[0].net]
    configs = [monitoring.fleet_prometheus_config(cfg, [])] + [
        monitoring.site_prometheus_config(s, [], cfg) for s in cfg.sites]
    assert [c["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] for c in configs] == [am] * len(configs)
    node_jobs = [[j for j in monitoring.site_prometheus_config(s, [], cfg)["scrape_configs"] if j["job_name"] == "node"]
                 for s in cfg.sites]
    assert [len(jobs) for jobs in node_jobs] == [1] + [0] * (len(cfg.sites) - 1)
    # The rollout metrics keep their own per-series site label: the target adds none.
    assert node_jobs[0][0]["static_configs"] == [{"targets": ["127.%d.0.33:9100" % cfg.sites[0].net],
                                                  "labels": {"instance": "controller"}}]
