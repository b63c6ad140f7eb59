"""The Grafana dashboards in roles/prometheus/files/dashboards: every PromQL expression of every
panel and template variable parses on a real Prometheus (Debian's package on loopback; a parse
error is HTTP 400), every gpufleet:* series a panel reads is a recording rule we ship, and the
provisioning files point Grafana at them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_server import query

REPO = Path(__file__).resolve().parents[3]
DASHBOARDS = sorted((REPO / "roles" / "prometheus" / "files" / "dashboards").glob("*.json"))
PROVISIONING = REPO / "roles" / "prometheus" / "files" / "dashboards" / "provisioning"
RULES = sorted((REPO / "roles" / "prometheus" / "files" / "rules").glob("*.yml"))
# Grafana's built-in interval variables, as Grafana would fill them in.
GRAFANA_DURATIONS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "6h"}
LABEL_VALUES = re.compile(r"^label_values\((?P<expr>.+),\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)$")


def expressions(path: Path):
    """(where, PromQL) of every panel target and every query variable of a dashboard."""
    doc = json.loads(path.read_text())
    for panel in doc["panels"]:
        for target in panel.get("targets") or []:
            yield "%s panel %r %s" % (path.name, panel["title"], target["refId"]), target["expr"]
    for var in doc["templating"]["list"]:
        if var["type"] == "query":
            found = LABEL_VALUES.match(var["definition"])
            assert found, "%s variable %s: %s is not label_values(<expr>, <label>)" % (
                path.name, var["name"], var["definition"])
            yield "%s variable %s" % (path.name, var["name"]), found.group("expr")


def as_grafana_sends(expr: str) -> str:
    for name, value in GRAFANA_DURATIONS.items():
        expr = expr.replace(name, value)
    # Dashboard variables ($site, ${site}) are regex matchers: "All" is ".*".
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".*", expr)


ALL = [item for path in DASHBOARDS for item in expressions(path)]


def test_the_three_dashboards_exist_with_unique_uids():
    uids = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert uids == {"gpufleet-fleet", "gpufleet-gpu", "gpufleet-models"}


@pytest.mark.parametrize("where,expr", ALL, ids=[where for where, _expr in ALL])
def test_every_expression_parses_on_prometheus(prometheus, where, expr):
    status, body = query(prometheus, as_grafana_sends(expr))
    assert status == 200 and body.get("status") == "success", "%s: %s -> HTTP %s %s" % (where, expr, status, body)


def test_a_parse_error_is_seen_as_one(prometheus):
    """The check above can fail: Prometheus answers a broken expression with HTTP 400."""
    status, body = query(prometheus, as_grafana_sends('sum(rate(DCGM_FI_DEV_GPU_UTIL{site=~"$site"}[$__rate_interval])'))
    assert status == 400 and body["errorType"] == "bad_data"


def test_every_recorded_series_a_panel_reads_is_shipped():
    records = {rule["record"] for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
               for rule in group["rules"] if "record" in rule}
    used = {name for _where, expr in ALL for name in re.findall(r"gpufleet:[A-Za-z0-9_:]+", expr)}
    assert used and used <= records, sorted(used - records)


def test_every_panel_reads_the_dashboard_data_source():
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (path.name, panel["title"])


def test_provisioning_points_grafana_at_the_dashboards():
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "gpufleet.yml").read_text())
    assert provider["apiVersion"] == 1
    assert [p["type"] for p in provider["providers"]] == ["file"]
    source = yaml.safe_load((PROVISIONING / "datasources" / "gpufleet.yml").read_text())
    assert [d["type"] for d in source["datasources"]] == ["prometheus"]
