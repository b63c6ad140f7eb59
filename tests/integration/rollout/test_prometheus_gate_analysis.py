"""The rollout's Prometheus gate as an analysis against a real Prometheus (Debian's package on
loopback, the `prometheus` fixture): real PromQL evaluation, real HTTP answers and errors."""
from __future__ import annotations

import time

import pytest
from health_mlserver import free_port

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.gates import GateFailed, prometheus_gate

# One number per site, as an error-rate query over real series would return.
RATE = 'sum(label_replace(vector(%s), "site", "$site", "", ""))'


def run(prometheus, query, deadline=60, **analysis):
    rule = dict({"query": query, "max": 0.01, "interval": 1}, **analysis)
    return prometheus_gate("lab-eu", rule, prometheus, time.monotonic() + deadline)


def test_the_analysis_passes_after_every_check(prometheus):
    started = time.monotonic()
    result = run(prometheus, RATE % "0.002", checks=3)
    assert result == {"name": "prometheus", "ok": True, "detail": "3/3 checks passed, last 0.002 (<= 0.01)"}
    assert time.monotonic() - started >= 2, "three checks one second apart"


def test_the_failure_limit_stops_the_analysis(prometheus):
    with pytest.raises(GateFailed) as e:
        run(prometheus, RATE % "0.5", checks=5, failure_limit=2)
    assert e.value.cause.startswith("2 of 2 checks failed (failure limit 2): check 1: query ")
    assert "returned 0.5, expected <= 0.01" in e.value.cause


def test_a_query_prometheus_cannot_parse_fails_with_its_error(prometheus):
    with pytest.raises(GateFailed) as e:
        run(prometheus, "sum(rate(http_requests_total[5m])", retries=3)
    assert "answered HTTP 400" in e.value.cause and "parse error" in e.value.cause


def test_a_query_without_series_fails(prometheus):
    with pytest.raises(GateFailed) as e:
        run(prometheus, 'sum by (site) (rate(http_requests_total{site="$site"}[5m]))')
    assert e.value.cause.endswith("returned 0 values, expected one")


def test_an_unreachable_prometheus_is_retried_then_fails():
    started = time.monotonic()
    with pytest.raises(GateFailed) as e:
        run("http://127.0.0.1:%d" % free_port(), RATE % "0", retries=1)
    assert "Prometheus unreachable (connect)" in e.value.cause
    assert time.monotonic() - started >= 2, "one retry after the retry delay"
