"""The lab's monitoring configuration (lab/monitoring.py), checked by promtool without a lab: the
site and fleet Prometheus configs are valid with the collection's rules, the fleet federates every
site through its WAN address, and only the drift alert's grace period differs from the shipped rules."""
from __future__ import annotations

import shutil
import subprocess

import yaml

from lab import monitoring
from lab.config import default_config


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
    for name in ("site.yml", "fleet.yml"):
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
