# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a model health gate: probe, judge, retry, report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .errors import HealthCheckError, failure_message
from .probes import Probe, join_url, probes_for
from .retry import RetryPolicy
from .transport import Response, TransportOptions, request
from .verdicts import CheckResult, is_permanent, judge, served_versions

# Checks about the expected version; when only these fail, the model is up but at the wrong version.
VERSION_CHECKS = ("version_ready", "version_metadata", "version_status", "version_served")

Requester = Callable[[str, str, TransportOptions, "dict | None"], Response]


@dataclass(frozen=True)
class GateSpec:
    site: str
    url: str
    protocol: str
    model: str
    version: str | None = None


@dataclass
class Attempt:
    checks: list[CheckResult]
    served: list[str]
    permanent: bool

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks if c.required)


def _version_served_check(spec: GateSpec, served: list[str]) -> CheckResult | None:
    # Some servers answer the versioned ready route for any version string; when
    # the server does list its versions, the expected one must be among them.
    if spec.version is None or not served:
        return None
    ok = spec.version in served
    detail = "expected %s, served %s" % (spec.version, ", ".join(served))
    return CheckResult("version_served", "-", spec.url, ok, True, None, detail)


def run_attempt(spec: GateSpec, options: TransportOptions, requester: Requester | None = None) -> Attempt:
    requester = requester or request
    checks: list[CheckResult] = []
    responses: dict[str, Response] = {}
    permanent = False
    probes: list[Probe] = probes_for(spec.protocol, spec.model, spec.version)
    for probe in probes:
        url = join_url(spec.url, probe.path)
        resp = requester(probe.method, url, options, probe.body)
        responses[probe.name] = resp
        checks.append(judge(probe, url, resp, spec.version))
        if resp.status is None and probe.name in ("server_live", "model_status"):
            # Nothing listens (or TLS fails): the remaining probes would only repeat the error.
            permanent = is_permanent(resp)
            break
        permanent = permanent or (probe.required and is_permanent(resp))
    served = served_versions(spec.model, responses)
    extra = _version_served_check(spec, served)
    if extra is not None:
        checks.append(extra)
    return Attempt(checks, served, permanent)


def summarize(spec: GateSpec, attempt: Attempt) -> str:
    failed = [c for c in attempt.checks if c.required and not c.ok]
    if not failed:
        return "model %s%s is ready at %s" % (spec.model, "" if spec.version is None else " version %s" % spec.version, spec.url)
    first = failed[0]
    if spec.version is not None and all(c.name in VERSION_CHECKS for c in failed):
        found = ", ".join(attempt.served) if attempt.served else "none reported"
        head = "expected version %s of model %s is not served by %s (served versions: %s)" % (spec.version, spec.model, spec.url, found)
    elif first.status is None and first.method != "-":
        head = "model server %s is unreachable" % spec.url
    else:
        head = "model %s is not healthy at %s" % (spec.model, spec.url)
    return "%s; %s %s: %s" % (head, first.name, first.url, first.detail)


def result_dict(spec: GateSpec, attempt: Attempt | None, attempts: int, elapsed: float) -> dict:
    return {
        "site": spec.site,
        "url": spec.url,
        "protocol": spec.protocol,
        "model": spec.model,
        "expected_version": spec.version,
        "healthy": bool(attempt and attempt.healthy),
        "served_versions": attempt.served if attempt else [],
        "checks": [c.as_dict() for c in attempt.checks] if attempt else [],
        "attempts": attempts,
        "elapsed": round(elapsed, 3),
    }


def run_gate(
    spec: GateSpec,
    options: TransportOptions,
    policy: RetryPolicy,
    requester: Requester | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Probe until healthy or the policy gives up; return the result or raise HealthCheckError."""
    start = clock()
    attempts = 0
    while True:
        attempt = run_attempt(spec, options, requester)
        attempts += 1
        elapsed = clock() - start
        if attempt.healthy:
            result = result_dict(spec, attempt, attempts, elapsed)
            result["msg"] = summarize(spec, attempt)
            return result
        pause = None if attempt.permanent else policy.next_delay(attempts, elapsed)
        if pause is None:
            result = result_dict(spec, attempt, attempts, elapsed)
            cause = "%s (after %d attempt%s in %.1fs)" % (summarize(spec, attempt), attempts, "" if attempts == 1 else "s", elapsed)
            obj = "model %s%s" % (spec.model, "" if spec.version is None else " version %s" % spec.version)
            raise HealthCheckError(failure_message("verify", obj, spec.site, cause), result)
        sleep(pause)
