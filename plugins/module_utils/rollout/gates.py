# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A site's health gates after its models became available: the model endpoint at the expected
version (through model_health's library) and the Prometheus analysis. Each returns a gate record
{name, ok, detail} or raises GateFailed naming the cause; every wait is capped by the step's deadline.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import urlencode

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.errors import HealthCheckError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.gate import GateSpec, run_gate
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.retry import RetryPolicy
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import (
    Response, TransportOptions, request)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.url_policy import plain_http_problem

# One request never waits longer than this, nor past the step's deadline.
REQUEST_TIMEOUT = 10.0
ENDPOINT_DELAY = 2.0


class GateFailed(Exception):
    """A gate said no; the message is the cause as the journal and the report show it."""

    def __init__(self, gate: str, cause: str):
        self.gate = gate
        self.cause = cause
        super().__init__(cause)


def endpoint_gate(site: str, models: List[Dict[str, Any]], wait_timeout: float, deadline: float,
                  clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                  requester: Any = None) -> Dict[str, Any]:
    """Every model with a health endpoint serves its version, within its own timeout and the deadline."""
    served = []
    for model in models:
        health = model.get("health") or {}
        remaining = deadline - clock()
        if remaining <= 0:
            raise GateFailed("endpoint", "no time left before the deadline to check model %s" % model["name"])
        allow_http = health.get("allow_http") is True
        refused = plain_http_problem(health["endpoint"], allow_http, "health.allow_http: true")
        if refused:
            raise GateFailed("endpoint", "model %s: %s" % (model["name"], refused))
        spec = GateSpec(site=site, url=health["endpoint"], protocol=health.get("protocol") or "v2",
                        model=model["name"], version=model["version"])
        options = TransportOptions(timeout=min(REQUEST_TIMEOUT, remaining), allow_http=allow_http)
        policy = RetryPolicy(delay=ENDPOINT_DELAY, wait_timeout=min(float(health.get("timeout") or wait_timeout),
                                                                    remaining))
        try:
            run_gate(spec, options, policy, requester=requester, clock=clock, sleep=sleep)
        except HealthCheckError as e:
            raise GateFailed("endpoint", str(e)) from e
        served.append("%s %s" % (model["name"], model["version"]))
    return {"name": "endpoint", "ok": True, "detail": ", ".join(served)}


def prometheus_url(rule: Dict[str, Any], site_url: Optional[str], site: str) -> str:
    base = rule.get("url") or site_url
    if not base:
        raise GateFailed("prometheus", "policy.prometheus.url is not set and site %s has no gpufleet_prometheus_url"
                         % site)
    return "%s/api/v1/query?%s" % (base.rstrip("/"), urlencode({"query": rule["query"].replace("$site", site)}))


def judge_prometheus(rule: Dict[str, Any], response: Response) -> Dict[str, Any]:
    """The gate's verdict on one instant query answer (pure)."""
    where = "query %s" % rule["query"]
    if response.status is None:
        raise GateFailed("prometheus", "Prometheus unreachable (%s): %s" % (response.error_kind, response.error))
    body = response.body if isinstance(response.body, dict) else {}
    if response.status != 200 or body.get("status") != "success":
        raise GateFailed("prometheus", "%s answered HTTP %s: %s" % (where, response.status,
                                                                    body.get("error") or response.body))
    try:
        values = [float(item["value"][1]) for item in (body.get("data") or {}).get("result") or []]
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise GateFailed("prometheus", "%s returned an unexpected result: %s" % (where, e)) from e
    if len(values) != 1:
        raise GateFailed("prometheus", "%s returned %d values, expected one" % (where, len(values)))
    value = values[0]
    bounds = []
    if rule.get("max") is not None:
        bounds.append("<= %s" % rule["max"])
    if rule.get("min") is not None:
        bounds.append(">= %s" % rule["min"])
    if (rule.get("max") is not None and value > rule["max"]) or (rule.get("min") is not None and value < rule["min"]):
        raise GateFailed("prometheus", "%s returned %s, expected %s" % (where, value, " and ".join(bounds)))
    return {"name": "prometheus", "ok": True, "detail": "%s (%s)" % (value, " and ".join(bounds))}


# The Prometheus gate is an analysis in Flagger's shape: `checks` instant queries `interval` seconds
# apart; it fails as soon as `failure_limit` checks failed (a value out of bounds, or no answer after
# `retries` retries), and passes when every check ran with fewer failures.
PROMETHEUS_DEFAULTS = {"interval": 30, "checks": 1, "failure_limit": 1, "retries": 2}
PROMETHEUS_RETRY_DELAY = 2.0


def prometheus_settings(rule: Dict[str, Any]) -> Dict[str, int]:
    """The analysis's numbers: the rule's, the defaults for the rest (pure)."""
    return {key: int(rule[key]) if rule.get(key) is not None else default
            for key, default in PROMETHEUS_DEFAULTS.items()}


def read_bearer_token(rule: Dict[str, Any]) -> Optional[str]:
    path = rule.get("bearer_token_file")
    if not path:
        return None
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as e:
        raise GateFailed("prometheus", "cannot read policy.prometheus.bearer_token_file %s: %s" % (path, e)) from e


def query_prometheus(url: str, options: TransportOptions, retries: int, deadline: float,
                     clock: Callable[[], float], sleep: Callable[[float], None], requester: Any) -> Response:
    """One check's answer; no answer or a 5xx is asked again up to `retries` times, within the deadline."""
    for attempt in range(retries + 1):
        response = requester("GET", url, options, None)
        transient = (response.status is None and response.error_kind != "insecure") or (response.status or 0) >= 500
        if not transient or attempt == retries or clock() + PROMETHEUS_RETRY_DELAY >= deadline:
            return response
        sleep(PROMETHEUS_RETRY_DELAY)
    return response


def prometheus_gate(site: str, rule: Dict[str, Any], site_url: Optional[str], deadline: float,
                    clock: Callable[[], float] = time.monotonic, requester: Any = None,
                    sleep: Callable[[float], None] = time.sleep) -> Dict[str, Any]:
    settings = prometheus_settings(rule)
    checks, limit, interval = settings["checks"], settings["failure_limit"], settings["interval"]
    remaining = deadline - clock()
    if remaining <= 0:
        raise GateFailed("prometheus", "no time left before the deadline to query Prometheus")
    if interval * (checks - 1) > remaining:
        raise GateFailed("prometheus", "the analysis needs %ds (%d checks %ds apart) and only %.0fs are left before "
                         "the deadline: raise policy.wait_timeout or lower policy.prometheus.checks"
                         % (interval * (checks - 1), checks, interval, remaining))
    url = prometheus_url(rule, site_url, site)
    allow_http = rule.get("allow_http") is True
    refused = plain_http_problem(rule.get("url") or site_url or url, allow_http, "policy.prometheus.allow_http: true")
    if refused:
        raise GateFailed("prometheus", refused)
    token = read_bearer_token(rule)
    failures: List[str] = []
    passed: List[Dict[str, Any]] = []
    for number in range(1, checks + 1):
        if number > 1:
            sleep(interval)
        remaining = deadline - clock()
        if remaining <= 0:
            raise GateFailed("prometheus", "no time left before the deadline for check %d of %d" % (number, checks))
        options = TransportOptions(timeout=min(REQUEST_TIMEOUT, remaining), ca_path=rule.get("ca_file"), token=token,
                                   allow_http=allow_http)
        response = query_prometheus(url, options, settings["retries"], deadline, clock, sleep, requester or request)
        try:
            passed.append(judge_prometheus(rule, response))
        except GateFailed as e:
            failures.append("check %d: %s" % (number, e.cause))
            if len(failures) >= limit:
                if checks == 1:
                    raise
                raise GateFailed("prometheus", "%d of %d checks failed (failure limit %d): %s"
                                 % (len(failures), number, limit, "; ".join(failures))) from e
    if checks == 1:
        return passed[0]
    detail = "%d/%d checks passed, last %s" % (len(passed), checks, passed[-1]["detail"])
    if failures:
        detail += "; below the failure limit %d: %s" % (limit, "; ".join(failures))
    return {"name": "prometheus", "ok": True, "detail": detail}
