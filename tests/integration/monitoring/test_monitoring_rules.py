"""The alert and recording rules shipped in roles/prometheus/files/rules, checked by Prometheus's own
promtool (Debian's `prometheus` package; scripts/integration.sh installs it): every file loads,
every promtool unit test in promtool/ passes, and every alert is tested firing and not firing,
carries a summary, a description naming its site, and a runbook section that exists."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
RULES = sorted((REPO / "roles" / "prometheus" / "files" / "rules").glob("*.yml"))
TESTS = sorted((Path(__file__).parent / "promtool").glob("*.test.yml"))
RUNBOOK = REPO / "docs" / "monitoring.md"
RUNBOOK_URL = "https://github.com/gpufleet/datacenter/blob/main/docs/monitoring.md#"


def promtool() -> str:
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed (scripts/integration.sh installs Debian's prometheus package)"
    return binary


def rules_of(kind: str):
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if kind in rule:
                    yield path.name, rule


def alert_cases():
    """alertname -> set of 'firing'/'silent' over every promtool test file."""
    cases: dict = {}
    for path in TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test") or []:
                cases.setdefault(case["alertname"], set()).add("firing" if case.get("exp_alerts") else "silent")
    return cases


def test_rules_files_exist():
    assert len(RULES) >= 3 and len(TESTS) >= 3


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_promtool_check_rules(path):
    res = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("path", TESTS, ids=lambda p: p.name)
def test_promtool_test_rules(path):
    res = subprocess.run([promtool(), "test", "rules", path.name], cwd=path.parent, capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("name", sorted(r["alert"] for _path, r in rules_of("alert")))
def test_every_alert_is_tested_firing_and_silent(name):
    assert alert_cases().get(name) == {"firing", "silent"}, name


@pytest.mark.parametrize("path,rule", list(rules_of("alert")), ids=lambda v: v["alert"] if isinstance(v, dict) else v)
def test_alert_annotations(path, rule):
    annotations = rule["annotations"]
    assert annotations["summary"].strip()
    assert "$labels.site" in annotations["description"], "%s: the description must name the site" % rule["alert"]
    url = annotations["runbook_url"]
    assert url == RUNBOOK_URL + rule["alert"].lower(), url
    headings = {line.lstrip("#").strip().lower() for line in RUNBOOK.read_text().splitlines()
                if re.match(r"^#{2,4} ", line)}
    assert rule["alert"].lower() in headings, "docs/monitoring.md has no section %s" % rule["alert"]


def test_recording_rules_are_prefixed():
    names = [r["record"] for _path, r in rules_of("record")]
    assert names and all(n.startswith("gpufleet:") for n in names), names
