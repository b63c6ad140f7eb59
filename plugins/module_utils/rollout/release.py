# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release file schema: validate a loaded release and return it normalized with defaults.

Every problem is collected (not only the first) and names the field, the model and the site,
so one run of the check tells the author everything to fix.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.url_policy import plain_http_problem
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import value_problem as env_value_problem
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.images import image_problems

ON_FAILURE = ("rollback_site", "rollback_all", "halt")
PAUSE_AFTER = ("none", "canary", "each_wave")
PROTOCOLS = ("v2", "tfserving")
TOP_KEYS = {"release", "description", "models", "policy"}
MODEL_KEYS = {"name", "namespace", "image", "version", "replicas", "gpus", "gpu_product", "port",
              "args", "env", "health", "sites", "allow_latest", "runtime_class"}
SITE_KEYS = {"replicas", "gpus", "gpu_product", "endpoint", "runtime_class", "version", "image", "enabled"}
HEALTH_KEYS = {"protocol", "endpoint", "timeout", "allow_http"}
POLICY_KEYS = {"canary", "waves", "sites_per_wave", "soak_seconds", "wait_timeout", "max_surge",
               "max_unavailable", "on_failure", "require_digest", "create_namespace", "prometheus", "pause_after",
               "adopt", "lease_seconds", "network_policy"}
PROMETHEUS_KEYS = {"query", "max", "min", "url", "allow_http", "interval", "checks", "failure_limit", "retries",
                   "ca_file", "bearer_token_file"}

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")
_VERSION = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")  # a label value
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")

DEFAULT_NAMESPACE = "gpufleet-models"
POLICY_DEFAULTS: Dict[str, Any] = {
    "canary": None, "waves": None, "sites_per_wave": None, "soak_seconds": 0, "wait_timeout": 300,
    "max_surge": 1, "max_unavailable": 0, "on_failure": "rollback_site", "require_digest": True,
    "create_namespace": True, "prometheus": None, "pause_after": "none", "adopt": False,
    "lease_seconds": 60, "network_policy": False,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Collector:
    """Accumulates problems, each prefixed with where it is."""

    def __init__(self) -> None:
        self.problems: List[str] = []

    def add(self, field: str, message: str, model: Optional[str] = None, site: Optional[str] = None) -> None:
        where = [field]
        if model:
            where.append("model %s" % model)
        if site:
            where.append("site %s" % site)
        self.problems.append("%s: %s" % (", ".join(where), message))

    def unknown_keys(self, field: str, value: Dict[str, Any], allowed: Iterable[str], model: Optional[str] = None,
                     site: Optional[str] = None) -> None:
        for key in sorted(set(value) - set(allowed)):
            self.add("%s.%s" % (field, key), "unknown field (allowed: %s)" % ", ".join(sorted(allowed)), model, site)

    def int_field(self, field: str, value: Any, minimum: int, model: Optional[str] = None,
                  site: Optional[str] = None, maximum: Optional[int] = None) -> None:
        if not _is_int(value):
            self.add(field, "must be an integer, got %s %r" % (type(value).__name__, value), model, site)
        elif value < minimum or (maximum is not None and value > maximum):
            bound = ">= %d" % minimum if maximum is None else "between %d and %d" % (minimum, maximum)
            self.add(field, "must be %s, got %d" % (bound, value), model, site)


def _check_version(c: _Collector, field: str, value: Any, model: str, site: Optional[str] = None) -> None:
    if isinstance(value, float):
        # YAML reads 1.10 as the float 1.1: the running version would silently differ.
        c.add(field, "must be a quoted string, got the number %r (YAML would turn \"1.10\" into 1.1)" % value, model, site)
    elif not isinstance(value, str) or not _VERSION.match(value):
        c.add(field, "must be a string usable as a Kubernetes label value (A-Z a-z 0-9 . _ -, "
                     "at most 63 characters), got %r" % (value,), model, site)


def _check_url(c: _Collector, field: str, url: Any, allow_http: Any, opt_in: str, model: Optional[str] = None,
               site: Optional[str] = None) -> None:
    """An http(s) URL, and https unless on loopback or `opt_in` (the setting that allows plain http) is true."""
    if not (isinstance(url, str) and _URL.match(url)):
        c.add(field, "must be an http(s):// URL, got %r" % (url,), model, site)
        return
    refused = plain_http_problem(url, allow_http is True, opt_in)
    if refused:
        c.add(field, refused, model, site)


def _check_health(c: _Collector, field: str, health: Any, model: str) -> None:
    if not isinstance(health, dict):
        c.add(field, "must be a mapping with protocol and endpoint", model)
        return
    c.unknown_keys(field, health, HEALTH_KEYS, model)
    if health.get("protocol", "v2") not in PROTOCOLS:
        c.add(field + ".protocol", "must be one of %s, got %r" % (", ".join(PROTOCOLS), health.get("protocol")), model)
    if "allow_http" in health and not isinstance(health["allow_http"], bool):
        c.add(field + ".allow_http", "must be true or false, got %r" % (health["allow_http"],), model)
    if "endpoint" in health:
        _check_url(c, field + ".endpoint", health["endpoint"], health.get("allow_http"),
                   field + ".allow_http: true", model)
    if "timeout" in health:
        c.int_field(field + ".timeout", health["timeout"], 1, model)


def _check_site_overrides(c: _Collector, field: str, overrides: Any, model: str, sites: Dict[str, Any],
                          allow_latest: bool = False, require_digest: bool = False, allow_http: bool = False) -> None:
    if not isinstance(overrides, dict):
        c.add(field, "must be a mapping of site name to overrides", model)
        return
    for site, override in overrides.items():
        sub = "%s.%s" % (field, site)
        if site not in sites:
            c.add(sub, "unknown site %r (inventory sites: %s)" % (site, ", ".join(sorted(sites))), model, site)
            continue
        if not isinstance(override, dict):
            c.add(sub, "must be a mapping of %s" % ", ".join(sorted(SITE_KEYS)), model, site)
            continue
        c.unknown_keys(sub, override, SITE_KEYS, model, site)
        if "replicas" in override:
            c.int_field(sub + ".replicas", override["replicas"], 1, model, site)
        if "gpus" in override:
            c.int_field(sub + ".gpus", override["gpus"], 0, model, site)
        for key in ("gpu_product", "runtime_class"):
            if key in override and not (isinstance(override[key], str) and override[key]):
                c.add(sub + "." + key, "must be a non-empty string", model, site)
        if "endpoint" in override:
            _check_url(c, sub + ".endpoint", override["endpoint"], allow_http, "the model's health.allow_http: true",
                       model, site)
        if "version" in override:
            _check_version(c, sub + ".version", override["version"], model, site)
        if "image" in override:
            problem = image_problems(override["image"], allow_latest, require_digest)
            if problem:
                c.add(sub + ".image", problem, model, site)
        if "enabled" in override and not isinstance(override["enabled"], bool):
            c.add(sub + ".enabled", "must be true or false, got %r" % (override["enabled"],), model, site)


def _check_model(c: _Collector, index: int, model: Any, policy: Dict[str, Any], sites: Dict[str, Any]) -> Dict[str, Any]:
    field = "models[%d]" % index
    if not isinstance(model, dict):
        c.add(field, "must be a mapping, got %s" % type(model).__name__)
        return {}
    name = model.get("name")
    label = name if isinstance(name, str) and name else None
    if not isinstance(name, str) or not _DNS_LABEL.match(name):
        c.add(field + ".name", "must be a DNS-1123 label (lower case a-z 0-9 -, at most 63), got %r" % (name,), label)
    c.unknown_keys(field, model, MODEL_KEYS, label)
    namespace = model.get("namespace", DEFAULT_NAMESPACE)
    if not isinstance(namespace, str) or not _DNS_LABEL.match(namespace):
        c.add(field + ".namespace", "must be a DNS-1123 label, got %r" % (namespace,), label)
    if "image" not in model:
        c.add(field + ".image", "is required", label)
    else:
        allow_latest = model.get("allow_latest", False)
        if not isinstance(allow_latest, bool):
            c.add(field + ".allow_latest", "must be true or false, got %r" % (allow_latest,), label)
        problem = image_problems(model["image"], allow_latest is True, policy.get("require_digest") is True)
        if problem:
            c.add(field + ".image", problem, label)
    if "version" not in model:
        c.add(field + ".version", "is required", label)
    else:
        _check_version(c, field + ".version", model["version"], label or "?")
    if "replicas" not in model:
        c.add(field + ".replicas", "is required", label)
    else:
        c.int_field(field + ".replicas", model["replicas"], 1, label)
    c.int_field(field + ".gpus", model.get("gpus", 1), 0, label)
    c.int_field(field + ".port", model.get("port", 8080), 1, label, maximum=65535)
    for key in ("gpu_product", "runtime_class"):
        if key in model and not (isinstance(model[key], str) and model[key]):
            c.add(field + "." + key, "must be a non-empty string (runtime_class: none for no RuntimeClass)", label)
    args = model.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        c.add(field + ".args", "must be a list of strings", label)
    env = model.get("env", {})
    if not isinstance(env, dict):
        c.add(field + ".env", "must be a mapping of names to quoted string values (or Secret keys)", label)
    else:
        for variable, value in sorted(env.items()):
            problem = env_value_problem(value)
            if problem:
                c.add("%s.env.%s" % (field, variable), problem, label)
    if "health" in model:
        _check_health(c, field + ".health", model["health"], label or "?")
    if "sites" in model:
        _check_site_overrides(c, field + ".sites", model["sites"], label or "?", sites,
                              model.get("allow_latest") is True, policy.get("require_digest") is True,
                              isinstance(model.get("health"), dict) and model["health"].get("allow_http") is True)
    return {
        "name": name, "namespace": namespace, "image": model.get("image"), "version": model.get("version"),
        "replicas": model.get("replicas"), "gpus": model.get("gpus", 1), "gpu_product": model.get("gpu_product"),
        "port": model.get("port", 8080), "args": args, "env": env, "health": model.get("health"),
        "sites": model.get("sites", {}), "allow_latest": model.get("allow_latest", False),
        "runtime_class": model.get("runtime_class"),
    }


def _check_waves(c: _Collector, policy: Dict[str, Any], sites: Dict[str, Any]) -> None:
    waves = policy.get("waves")
    if waves is not None:
        if "sites_per_wave" in policy:
            c.add("policy.sites_per_wave", "cannot be combined with policy.waves; use one of them")
        if not isinstance(waves, list) or not waves or not all(isinstance(w, list) and w for w in waves):
            c.add("policy.waves", "must be a non-empty list of non-empty lists of site names")
            return
        seen: Dict[str, int] = {}
        for number, wave in enumerate(waves, 1):
            for site in wave:
                if site not in sites:
                    c.add("policy.waves[%d]" % (number - 1), "unknown site %r (inventory sites: %s)"
                          % (site, ", ".join(sorted(sites))), site=str(site))
                elif site in seen:
                    c.add("policy.waves[%d]" % (number - 1), "site is already in wave %d" % seen[site], site=site)
                else:
                    seen[site] = number
        for site in sorted(set(sites) - set(seen)):
            c.add("policy.waves", "site is in no wave, so it would never get the release", site=site)
    if "sites_per_wave" in policy:
        c.int_field("policy.sites_per_wave", policy["sites_per_wave"], 1)
    else:
        for site, info in sorted(sites.items()):
            if waves is None and not _is_int(info.get("wave")):
                c.add("policy.waves", "not set and the inventory has no gpufleet_rollout_wave for the site", site=site)


def _check_policy(c: _Collector, policy: Any, sites: Dict[str, Any]) -> Dict[str, Any]:
    if not isinstance(policy, dict):
        c.add("policy", "must be a mapping, got %s" % type(policy).__name__)
        return dict(POLICY_DEFAULTS)
    c.unknown_keys("policy", policy, POLICY_KEYS)
    canary = policy.get("canary")
    if canary is not None and canary not in sites:
        c.add("policy.canary", "unknown site %r (inventory sites: %s)" % (canary, ", ".join(sorted(sites))),
              site=str(canary))
    if policy.get("on_failure", "rollback_site") not in ON_FAILURE:
        c.add("policy.on_failure", "must be one of %s, got %r" % (", ".join(ON_FAILURE), policy.get("on_failure")))
    if policy.get("pause_after", "none") not in PAUSE_AFTER:
        c.add("policy.pause_after", "must be one of %s, got %r" % (", ".join(PAUSE_AFTER), policy.get("pause_after")))
    for key, minimum in (("soak_seconds", 0), ("wait_timeout", 1), ("max_surge", 0), ("max_unavailable", 0)):
        if key in policy:
            c.int_field("policy." + key, policy[key], minimum)
    if policy.get("max_surge", 1) == 0 and policy.get("max_unavailable", 0) == 0:
        c.add("policy.max_surge", "and policy.max_unavailable cannot both be 0 (the rollout could never progress)")
    if "lease_seconds" in policy:
        c.int_field("policy.lease_seconds", policy["lease_seconds"], 15)
    for key in ("require_digest", "create_namespace", "adopt", "network_policy"):
        if key in policy and not isinstance(policy[key], bool):
            c.add("policy." + key, "must be true or false, got %r" % (policy[key],))
    prometheus = policy.get("prometheus")
    if prometheus is not None:
        if not isinstance(prometheus, dict):
            c.add("policy.prometheus", "must be a mapping with query and max or min")
        else:
            c.unknown_keys("policy.prometheus", prometheus, PROMETHEUS_KEYS)
            if not isinstance(prometheus.get("query"), str) or not prometheus.get("query"):
                c.add("policy.prometheus.query", "is required (a PromQL expression returning one number)")
            if "max" not in prometheus and "min" not in prometheus:
                c.add("policy.prometheus", "needs a max or a min threshold")
            for key in ("max", "min"):
                if key in prometheus and (isinstance(prometheus[key], bool)
                                          or not isinstance(prometheus[key], (int, float))):
                    c.add("policy.prometheus." + key, "must be a number, got %r" % (prometheus[key],))
            if "allow_http" in prometheus and not isinstance(prometheus["allow_http"], bool):
                c.add("policy.prometheus.allow_http", "must be true or false, got %r" % (prometheus["allow_http"],))
            if "url" in prometheus:
                _check_url(c, "policy.prometheus.url", prometheus["url"], prometheus.get("allow_http"),
                           "policy.prometheus.allow_http: true")
            else:
                # Each site's own Prometheus (gpufleet_prometheus_url): checked now, not at the canary's gate.
                for name in sorted(sites):
                    url = (sites[name] or {}).get("prometheus_url")
                    if url:
                        _check_url(c, "policy.prometheus (gpufleet_prometheus_url)", url, prometheus.get("allow_http"),
                                   "policy.prometheus.allow_http: true", site=name)
            _check_prometheus_analysis(c, prometheus)
    _check_waves(c, policy, sites)
    normalized = dict(POLICY_DEFAULTS)
    normalized.update({k: v for k, v in policy.items() if k in POLICY_KEYS})
    return normalized


def _check_prometheus_analysis(c: _Collector, prometheus: Dict[str, Any]) -> None:
    """The gate's analysis (gates.prometheus_gate): checks, interval, failure limit, retries, CA, token file."""
    for key, minimum in (("interval", 1), ("checks", 1), ("failure_limit", 1), ("retries", 0)):
        if key in prometheus:
            c.int_field("policy.prometheus." + key, prometheus[key], minimum)
    checks, limit = prometheus.get("checks", 1), prometheus.get("failure_limit", 1)
    if _is_int(checks) and _is_int(limit) and limit > checks:
        c.add("policy.prometheus.failure_limit", "must be at most checks (%s), got %s" % (checks, limit))
    for key in ("ca_file", "bearer_token_file"):
        if key in prometheus and not (isinstance(prometheus[key], str) and prometheus[key]):
            c.add("policy.prometheus." + key, "must be a file path, got %r" % (prometheus[key],))


def validate_release(data: Any, sites: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Return the release with defaults filled in and a `problems` list (empty when valid).

    `sites` maps each inventory site name to {host, wave, gpu_product}.
    """
    c = _Collector()
    if not isinstance(data, dict):
        c.add("(top level)", "must be a mapping with release, models and policy, got %s" % type(data).__name__)
        return {"problems": c.problems}
    c.unknown_keys("(top level)", data, TOP_KEYS)
    name = data.get("release")
    if not isinstance(name, str) or not RELEASE_NAME.match(name):
        c.add("release", "must be a name of lower case a-z 0-9 . - (at most 63 characters), got %r" % (name,))
    policy = _check_policy(c, data.get("policy", {}), sites)
    models_raw = data.get("models")
    models: List[Dict[str, Any]] = []
    if not isinstance(models_raw, list) or not models_raw:
        c.add("models", "must be a non-empty list of models")
    else:
        models = [_check_model(c, i, m, policy, sites) for i, m in enumerate(models_raw)]
        seen = set()
        for index, model in enumerate(models):
            key = (model.get("namespace"), model.get("name"))
            if model.get("name") and key in seen:
                c.add("models[%d].name" % index, "duplicate model in namespace %s" % key[0], model.get("name"))
            seen.add(key)
    return {"name": name, "description": data.get("description", ""), "models": models, "policy": policy,
            "problems": c.problems}


def fingerprint(release: Dict[str, Any]) -> str:
    """Content hash of a normalized release: a changed file is a new rollout, not a resume."""
    body = {k: v for k, v in release.items() if k not in ("problems", "description")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def resolve_site(release: Dict[str, Any], site: str, site_info: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The models as deployed at one site: per-site overrides, then model fields, then inventory."""
    resolved = []
    for model in release["models"]:
        override = (model.get("sites") or {}).get(site, {})
        if override.get("enabled") is False:
            continue  # the release leaves this model off this site on purpose
        health = dict(model.get("health") or {})
        if "endpoint" in override:
            health["endpoint"] = override["endpoint"]
        resolved.append({
            "name": model["name"], "namespace": model["namespace"], "image": override.get("image", model["image"]),
            "version": override.get("version", model["version"]), "replicas": override.get("replicas", model["replicas"]),
            "gpus": override.get("gpus", model["gpus"]),
            "gpu_product": override.get("gpu_product") or model.get("gpu_product") or site_info.get("gpu_product"),
            "port": model["port"], "args": model["args"], "env": model["env"],
            "health": health if health.get("endpoint") else None,
            # None: model_deploy's default (nvidia), unless the site's inventory says otherwise.
            "runtime_class": override.get("runtime_class") or model.get("runtime_class") or site_info.get("runtime_class"),
            "allow_latest": model["allow_latest"],
        })
    return resolved
