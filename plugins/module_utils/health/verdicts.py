# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge probe responses and read served versions out of them (pure).

Payload shapes:
- Open Inference Protocol: ready endpoints answer 200, with {"name", "ready"} on
  KServe and an empty body on Triton and MLServer; model metadata carries an
  optional "versions" list; the repository extension's index is a list of
  {"name", "version", "state"}.
- TF Serving: GetModelStatusResponse as JSON, {"model_version_status": [{"version",
  "state", "status": {"error_code", "error_message"}}]}; a version is served when
  its state is AVAILABLE.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .probes import Probe
from .transport import Response

AVAILABLE = "AVAILABLE"
# Status codes a retry cannot fix: the gate stops at once instead of waiting out its budget.
PERMANENT_STATUS = (401, 403)


@dataclass(frozen=True)
class CheckResult:
    name: str
    method: str
    url: str
    ok: bool
    required: bool
    status: int | None
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def _error_text(body: object) -> str:
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    if body is None:
        return ""
    text = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
    return text if len(text) <= 300 else text[:300] + "..."


def _flag_false(body: object, *keys: str) -> bool:
    return isinstance(body, dict) and any(body.get(k) is False for k in keys)


def _tf_entries(body: object) -> list[dict]:
    if not isinstance(body, dict):
        return []
    entries = body.get("model_version_status")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def tfserving_states(body: object) -> dict[str, str]:
    """Version -> state from a TF Serving status response (versions are int64s encoded as strings)."""
    return dict((str(e.get("version")), str(e.get("state", "UNKNOWN"))) for e in _tf_entries(body))


def _judge_ok(probe: Probe, body: object, expected: str | None) -> tuple[bool, str]:
    """Verdict for a 200 response."""
    if probe.name in ("server_live", "server_ready"):
        if _flag_false(body, "live", "ready"):
            return False, "server reports not %s: %s" % (probe.name.split("_")[1], _error_text(body))
        return True, "200 OK"
    if probe.name in ("model_ready", "version_ready"):
        if _flag_false(body, "ready"):
            return False, "model reports ready=false"
        return True, "ready"
    if probe.name in ("model_metadata", "version_metadata"):
        if not isinstance(body, dict) or "name" not in body:
            return False, "metadata response is not a model metadata object: %s" % _error_text(body)
        return True, "metadata for %s" % body["name"]
    if probe.name == "repository_index":
        return isinstance(body, list), "%d models in repository index" % len(body) if isinstance(body, list) else "no index"
    if probe.name == "model_status":
        states = tfserving_states(body)
        if not states:
            return False, "no model_version_status in response: %s" % _error_text(body)
        ok = any(s == AVAILABLE for s in states.values())
        return ok, ", ".join("%s=%s" % kv for kv in sorted(states.items()))
    if probe.name == "version_status":
        states = tfserving_states(body)
        state = states.get(str(expected)) if expected is not None else None
        if state is None:
            return False, "version %s missing from status response: %s" % (expected, _error_text(body))
        return state == AVAILABLE, "version %s is %s" % (expected, state)
    return True, "200 OK"


def judge(probe: Probe, url: str, response: Response, expected: str | None) -> CheckResult:
    if response.status is None:
        detail = "%s error: %s" % (response.error_kind or "connection", response.error)
        return CheckResult(probe.name, probe.method, url, False, probe.required, None, detail)
    if response.status != 200:
        text = _error_text(response.body)
        detail = "HTTP %d%s" % (response.status, (": " + text) if text else "")
        return CheckResult(probe.name, probe.method, url, False, probe.required, response.status, detail)
    ok, detail = _judge_ok(probe, response.body, expected)
    return CheckResult(probe.name, probe.method, url, ok, probe.required, 200, detail)


def served_versions(model: str, responses: dict[str, Response]) -> list[str]:
    """Every version the server says it serves for this model, from whatever probes answered."""
    found: set[str] = set()
    for name in ("model_metadata", "version_metadata"):
        r = responses.get(name)
        if r is not None and r.status == 200 and isinstance(r.body, dict):
            versions = r.body.get("versions")
            if isinstance(versions, list):
                found.update(str(v) for v in versions)
    index = responses.get("repository_index")
    if index is not None and index.status == 200 and isinstance(index.body, list):
        for entry in index.body:
            if isinstance(entry, dict) and entry.get("name") == model and entry.get("version") not in (None, ""):
                if str(entry.get("state", "READY")).upper() == "READY":
                    found.add(str(entry["version"]))
    for name in ("model_status", "version_status"):
        r = responses.get(name)
        if r is not None and r.status == 200:
            found.update(v for v, s in tfserving_states(r.body).items() if s == AVAILABLE)
    return sorted(found)


def is_permanent(response: Response) -> bool:
    """True when retrying cannot help: bad credentials, a certificate that does not verify, or a URL
    the plain-http rule refuses."""
    return response.status in PERMANENT_STATUS or response.error_kind in ("tls", "insecure")
