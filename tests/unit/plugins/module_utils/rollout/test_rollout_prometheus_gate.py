"""The Prometheus gate as an analysis (Flagger's shape): checks `interval` apart, a failure limit,
retries of a check that got no answer, the CA and the bearer token handed to the transport, all
within the step's deadline. Answers are Prometheus's /api/v1/query JSON; time is a fake clock."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import Response
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.gates import (
    PROMETHEUS_RETRY_DELAY, GateFailed, prometheus_gate, prometheus_settings)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import validate_release

URL = "http://127.0.0.1:9090"


def value(v):
    return Response(status=200, body={"status": "success", "data": {"resultType": "vector",
                                                                    "result": [{"metric": {}, "value": [0, str(v)]}]}})


BAD_QUERY = Response(status=400, body={"status": "error", "errorType": "bad_data",
                                       "error": "1:6: parse error: unexpected end of input"})
DOWN = Response(status=None, error="Connection refused", error_kind="connect")
BUSY = Response(status=503, body="Service Unavailable")


class Prometheus:
    """Answers in order; records what each request carried and when."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.now = 0.0
        self.asked = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def __call__(self, method, url, options, body):
        self.asked.append({"at": self.now, "url": url, "token": options.token, "ca": options.ca_path,
                           "timeout": options.timeout})
        return self.answers.pop(0)


def gate(prom, rule, deadline=1e6):
    return prometheus_gate("lab-eu", dict({"query": 'err{site="$site"}', "max": 0.01}, **rule), URL, deadline,
                           clock=prom.clock, requester=prom, sleep=prom.sleep)


def test_defaults_are_one_check_without_waiting():
    assert prometheus_settings({}) == {"interval": 30, "checks": 1, "failure_limit": 1, "retries": 2}
    prom = Prometheus(value(0.001))
    assert gate(prom, {}) == {"name": "prometheus", "ok": True, "detail": "0.001 (<= 0.01)"}
    assert [a["at"] for a in prom.asked] == [0.0]
    assert "lab-eu" in prom.asked[0]["url"]


def test_every_check_runs_interval_apart_and_the_analysis_passes():
    prom = Prometheus(value(0.001), value(0.002), value(0.003))
    result = gate(prom, {"checks": 3, "interval": 60})
    assert [a["at"] for a in prom.asked] == [0.0, 60.0, 120.0]
    assert result == {"name": "prometheus", "ok": True, "detail": "3/3 checks passed, last 0.003 (<= 0.01)"}


def test_failures_below_the_limit_pass_and_are_named():
    prom = Prometheus(value(0.001), value(0.5), value(0.002))
    result = gate(prom, {"checks": 3, "interval": 10, "failure_limit": 2})
    assert result["ok"] is True
    assert result["detail"].startswith("2/3 checks passed, last 0.002 (<= 0.01); below the failure limit 2: check 2:")
    assert "returned 0.5, expected <= 0.01" in result["detail"]


def test_the_gate_fails_as_soon_as_the_failure_limit_is_reached():
    prom = Prometheus(value(0.5), value(0.001), value(0.7), value(0.001), value(0.001))
    with pytest.raises(GateFailed) as e:
        gate(prom, {"checks": 5, "interval": 10, "failure_limit": 2})
    assert len(prom.asked) == 3, "no check after the limit"
    assert e.value.cause.startswith("2 of 3 checks failed (failure limit 2): check 1: query err{site=\"$site\"} "
                                    "returned 0.5, expected <= 0.01; check 3: ")
    assert "returned 0.7" in e.value.cause


def test_one_check_failing_keeps_the_plain_cause():
    with pytest.raises(GateFailed) as e:
        gate(Prometheus(value(0.5)), {})
    assert e.value.cause == 'query err{site="$site"} returned 0.5, expected <= 0.01'


def test_no_answer_is_retried_then_counts_as_a_failed_check():
    prom = Prometheus(DOWN, BUSY, value(0.001))
    assert gate(prom, {"retries": 2})["ok"] is True
    assert [a["at"] for a in prom.asked] == [0.0, PROMETHEUS_RETRY_DELAY, 2 * PROMETHEUS_RETRY_DELAY]
    prom = Prometheus(DOWN, DOWN)
    with pytest.raises(GateFailed) as e:
        gate(prom, {"retries": 1})
    assert len(prom.asked) == 2 and "Prometheus unreachable (connect): Connection refused" in e.value.cause


def test_a_query_error_is_not_retried():
    prom = Prometheus(BAD_QUERY)
    with pytest.raises(GateFailed) as e:
        gate(prom, {"retries": 3})
    assert len(prom.asked) == 1
    assert "answered HTTP 400: 1:6: parse error: unexpected end of input" in e.value.cause


def test_an_analysis_longer_than_the_deadline_is_refused_before_querying():
    prom = Prometheus()
    with pytest.raises(GateFailed) as e:
        gate(prom, {"checks": 10, "interval": 60}, deadline=300)
    assert prom.asked == []
    assert e.value.cause.startswith("the analysis needs 540s (10 checks 60s apart) and only 300s are left")


def test_retries_stop_at_the_deadline():
    prom = Prometheus(DOWN, DOWN, DOWN)
    with pytest.raises(GateFailed):
        gate(prom, {"retries": 5}, deadline=3)
    # A retry at 2 s still fits before the deadline at 3 s; the next one would not.
    assert [a["at"] for a in prom.asked] == [0.0, PROMETHEUS_RETRY_DELAY]


def test_the_ca_and_the_bearer_token_reach_the_transport(tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    prom = Prometheus(value(0.0), value(0.0))
    gate(prom, {"checks": 2, "interval": 1, "ca_file": "/etc/gpufleet/prom-ca.pem", "bearer_token_file": str(token)})
    assert [(a["token"], a["ca"]) for a in prom.asked] == [("s3cret", "/etc/gpufleet/prom-ca.pem")] * 2


def test_an_unreadable_token_file_fails_the_gate_naming_it(tmp_path):
    with pytest.raises(GateFailed) as e:
        gate(Prometheus(), {"bearer_token_file": str(tmp_path / "missing")})
    assert e.value.cause.startswith("cannot read policy.prometheus.bearer_token_file %s" % (tmp_path / "missing"))


def prometheus_problems(load_release, sites, **analysis):
    data = load_release("valid.yml")
    data["policy"]["prometheus"] = dict({"query": "up", "max": 1}, **analysis)
    return [p for p in validate_release(data, sites)["problems"] if p.startswith("policy.prometheus")]


def test_the_release_accepts_an_analysis(load_release, sites):
    assert prometheus_problems(load_release, sites, interval=30, checks=5, failure_limit=2, retries=0,
                               ca_file="/etc/gpufleet/prom-ca.pem", bearer_token_file="/etc/gpufleet/prom-token") == []


@pytest.mark.parametrize("analysis,problem", [
    ({"interval": 0}, "policy.prometheus.interval: must be >= 1, got 0"),
    ({"checks": "5"}, "policy.prometheus.checks: must be an integer, got str '5'"),
    ({"retries": -1}, "policy.prometheus.retries: must be >= 0, got -1"),
    ({"checks": 2, "failure_limit": 3}, "policy.prometheus.failure_limit: must be at most checks (2), got 3"),
    ({"failure_limit": 2}, "policy.prometheus.failure_limit: must be at most checks (1), got 2"),
    ({"ca_file": ""}, "policy.prometheus.ca_file: must be a file path, got ''"),
    ({"bearer_token": "s3cret"}, "policy.prometheus.bearer_token: unknown field"),
])
def test_the_release_names_a_bad_analysis_field(load_release, sites, analysis, problem):
    found = prometheus_problems(load_release, sites, **analysis)
    assert len(found) == 1 and found[0].startswith(problem), found
