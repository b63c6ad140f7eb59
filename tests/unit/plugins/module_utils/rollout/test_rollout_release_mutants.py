"""Release check, field by field: every problem's full text (the field, the model, the site and the
setting that would allow it), the bounds each number takes and the defaults the release is filled
with. These hold the rules that the mutation run (scripts/mutation.sh) found unguarded."""
import datetime
import hashlib
import json

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import (
    POLICY_DEFAULTS, fingerprint, resolve_site, validate_release)

CLEAR_TEXT = ("is plain http off loopback: a token or the answers would cross the network in clear text; "
              "use https, or allow it explicitly with ")


def model(**fields):
    return dict({"name": "a", "image": "r.example/a:1", "version": "1", "replicas": 1}, **fields)


def check(sites, models=None, policy=None, **top):
    data = dict({"release": "r1", "models": models or [model()],
                 "policy": dict({"require_digest": False}, **(policy or {}))}, **top)
    return validate_release(data, sites)


def problems(sites, models=None, policy=None, **top):
    return check(sites, models, policy, **top)["problems"]


def test_health_problems_name_the_field_and_the_setting_that_allows_http(sites):
    health = {"protocol": "grpc", "allow_http": "yes", "endpoint": "http://chat.example.com", "timeout": 0,
              "path": "/ready"}
    assert problems(sites, [model(health=health)]) == [
        "models[0].health.path, model a: unknown field (allowed: allow_http, endpoint, protocol, timeout)",
        "models[0].health.protocol, model a: must be one of v2, tfserving, got 'grpc'",
        "models[0].health.allow_http, model a: must be true or false, got 'yes'",
        "models[0].health.endpoint, model a: http://chat.example.com " + CLEAR_TEXT
        + "models[0].health.allow_http: true",
        "models[0].health.timeout, model a: must be >= 1, got 0",
    ]
    assert problems(sites, [model(health="http://chat.example.com")]) == [
        "models[0].health, model a: must be a mapping with protocol and endpoint"]


@pytest.mark.parametrize("health", [
    {"endpoint": "https://chat.example.com", "timeout": 1},  # v2 is the default protocol; 1 s is allowed
    {"protocol": "v2", "endpoint": "https://chat.example.com/v2"},
    {"protocol": "tfserving", "endpoint": "http://chat.example.com", "allow_http": True},
    {"protocol": "tfserving"},
])
def test_good_health_passes(sites, health):
    assert problems(sites, [model(health=health)]) == []


@pytest.mark.parametrize("endpoint", ["ftp://chat.example.com", "chat.example.com", "https://", "https://a b", 8080])
def test_an_endpoint_that_is_no_http_url_is_named(sites, endpoint):
    assert problems(sites, [model(health={"endpoint": endpoint})]) == [
        "models[0].health.endpoint, model a: must be an http(s):// URL, got %r" % (endpoint,)]


def test_a_model_name_that_is_no_string_is_named_without_a_model(sites):
    assert problems(sites, [model(name=5, health=[])]) == [
        "models[0].name: must be a DNS-1123 label (lower case a-z 0-9 -, at most 63), got 5",
        "models[0].health, model ?: must be a mapping with protocol and endpoint"]
    assert problems(sites, [model(name="", version=1.5)]) == [
        "models[0].name: must be a DNS-1123 label (lower case a-z 0-9 -, at most 63), got ''",
        "models[0].version, model ?: must be a quoted string, got the number 1.5 (YAML would turn \"1.10\" into 1.1)"]


def test_model_field_problems_are_named_exactly(sites):
    bad = {"name": "a", "namespace": "Models", "image": "r.example/a:1", "allow_latest": "yes", "port": 65536,
           "gpus": -1, "gpu_product": "", "runtime_class": 7, "args": ["--x", 1], "env": ["A=1"]}
    assert problems(sites, [bad]) == [
        "models[0].namespace, model a: must be a DNS-1123 label, got 'Models'",
        "models[0].allow_latest, model a: must be true or false, got 'yes'",
        "models[0].version, model a: is required",
        "models[0].replicas, model a: is required",
        "models[0].gpus, model a: must be >= 0, got -1",
        "models[0].port, model a: must be between 1 and 65535, got 65536",
        "models[0].gpu_product, model a: must be a non-empty string (runtime_class: none for no RuntimeClass)",
        "models[0].runtime_class, model a: must be a non-empty string (runtime_class: none for no RuntimeClass)",
        "models[0].args, model a: must be a list of strings",
        "models[0].env, model a: must be a mapping of names to quoted string values (or Secret keys)",
    ]
    assert problems(sites, [model(port=0, args="--x", version="v" * 64)]) == [
        "models[0].version, model a: must be a string usable as a Kubernetes label value (A-Z a-z 0-9 . _ -, "
        "at most 63 characters), got '%s'" % ("v" * 64),
        "models[0].port, model a: must be between 1 and 65535, got 0",
        "models[0].args, model a: must be a list of strings",
    ]
    assert problems(sites, ["chat"]) == ["models[0]: must be a mapping, got str"]
    assert problems(sites, [{"name": "a", "version": "1", "replicas": 1}]) == ["models[0].image, model a: is required"]


@pytest.mark.parametrize("fields", [{"port": 1}, {"port": 65535}, {"gpus": 0}, {"version": "v" * 63},
                                    {"version": "2.1.0_rc-1"}, {"name": "a" * 63}, {"args": []}, {"env": {}}])
def test_bounds_of_model_fields_are_inclusive(sites, fields):
    assert problems(sites, [model(**fields)]) == []


def test_a_model_is_filled_with_its_defaults(sites):
    result = check(sites)
    assert result["problems"] == []
    assert result["models"] == [{
        "name": "a", "namespace": "gpufleet-models", "image": "r.example/a:1", "version": "1", "replicas": 1,
        "gpus": 1, "gpu_product": None, "port": 8080, "args": [], "env": {}, "health": None, "sites": {},
        "allow_latest": False, "runtime_class": None}]
    assert result["name"] == "r1" and result["description"] == ""
    assert result["policy"] == dict(POLICY_DEFAULTS, require_digest=False)


def test_allow_latest_true_lets_the_model_and_its_site_images_use_latest(sites):
    latest = model(image="r.example/a:latest", allow_latest=True, sites={"eu": {"image": "r.example/a:latest"}})
    result = check(sites, [latest])
    assert result["problems"] == [] and result["models"][0]["allow_latest"] is True
    assert resolve_site(result, "eu", sites["eu"])[0]["allow_latest"] is True


def test_site_override_problems_are_named_exactly(sites):
    overrides = {"eu": {"replicas": 0, "gpus": -1, "gpu_product": "", "runtime_class": None, "zone": "a",
                        "endpoint": "http://eu.example.com"},
                 "us": "two replicas"}
    assert problems(sites, [model(sites=overrides)]) == [
        "models[0].sites.eu.zone, model a, site eu: unknown field (allowed: enabled, endpoint, gpu_product, gpus, "
        "image, replicas, runtime_class, version)",
        "models[0].sites.eu.replicas, model a, site eu: must be >= 1, got 0",
        "models[0].sites.eu.gpus, model a, site eu: must be >= 0, got -1",
        "models[0].sites.eu.gpu_product, model a, site eu: must be a non-empty string",
        "models[0].sites.eu.runtime_class, model a, site eu: must be a non-empty string",
        "models[0].sites.eu.endpoint, model a, site eu: http://eu.example.com " + CLEAR_TEXT
        + "the model's health.allow_http: true",
        "models[0].sites.us, model a, site us: must be a mapping of enabled, endpoint, gpu_product, gpus, image, "
        "replicas, runtime_class, version",
    ]
    assert problems(sites, [model(sites=["eu"])]) == [
        "models[0].sites, model a: must be a mapping of site name to overrides"]
    assert problems(sites, [model(sites={"eu": {"gpus": 0, "replicas": 1, "enabled": False}})]) == []


def test_a_site_endpoint_over_http_follows_the_models_allow_http(sites):
    site = {"eu": {"endpoint": "http://eu.example.com"}}
    assert problems(sites, [model(health={"allow_http": True}, sites=site)]) == []
    assert len(problems(sites, [model(health={"allow_http": "true"}, sites=site)])) == 2
    assert len(problems(sites, [model(health=None, sites=site)])) == 2


def test_a_site_image_follows_the_policys_require_digest(sites):
    tagged = model(image="r.example/a:1@sha256:" + "a" * 64, sites={"eu": {"image": "r.example/a:2"}})
    assert problems(sites, [tagged], policy={"require_digest": True}) == [
        "models[0].sites.eu.image, model a, site eu: 'r.example/a:2' has no @sha256 digest and digests are "
        "required (require_digest, true by default in a release's policy); pin a digest, or set "
        "require_digest: false to deploy by tag"]
    assert problems(sites, [tagged], policy={"require_digest": False}) == []


def test_prometheus_problems_are_named_exactly(sites):
    prometheus = {"query": "", "max": True, "min": "1", "allow_http": "no", "url": "http://prom.example.com",
                  "interval": 0, "checks": 2, "failure_limit": 3, "retries": -1, "ca_file": "",
                  "bearer_token_file": 7, "step": 1}
    assert problems(sites, policy={"prometheus": prometheus}) == [
        "policy.prometheus.step: unknown field (allowed: allow_http, bearer_token_file, ca_file, checks, "
        "failure_limit, interval, max, min, query, retries, url)",
        "policy.prometheus.query: is required (a PromQL expression returning one number)",
        "policy.prometheus.max: must be a number, got True",
        "policy.prometheus.min: must be a number, got '1'",
        "policy.prometheus.allow_http: must be true or false, got 'no'",
        "policy.prometheus.url: http://prom.example.com " + CLEAR_TEXT + "policy.prometheus.allow_http: true",
        "policy.prometheus.interval: must be >= 1, got 0",
        "policy.prometheus.retries: must be >= 0, got -1",
        "policy.prometheus.failure_limit: must be at most checks (2), got 3",
        "policy.prometheus.ca_file: must be a file path, got ''",
        "policy.prometheus.bearer_token_file: must be a file path, got 7",
    ]
    assert problems(sites, policy={"prometheus": {"query": 5}}) == [
        "policy.prometheus.query: is required (a PromQL expression returning one number)",
        "policy.prometheus: needs a max or a min threshold"]
    assert problems(sites, policy={"prometheus": "up < 1"}) == [
        "policy.prometheus: must be a mapping with query and max or min"]
    assert problems(sites, policy={"prometheus": {"query": "up", "max": 1, "checks": 0, "failure_limit": 0}}) == [
        "policy.prometheus.checks: must be >= 1, got 0", "policy.prometheus.failure_limit: must be >= 1, got 0"]


@pytest.mark.parametrize("analysis", [
    {"max": 0.5}, {"min": 1}, {"max": 2, "min": 0.5}, {"interval": 1, "retries": 0},
    {"checks": 1}, {"checks": 3}, {"checks": 3, "failure_limit": 3},
    {"url": "https://prom.example.com", "ca_file": "/etc/ca.pem", "bearer_token_file": "/run/token"},
    {"url": "http://prom.example.com", "allow_http": True}, {"url": "http://127.0.0.1:9090"},
])
def test_good_prometheus_analysis_passes(sites, analysis):
    rule = dict({"query": "up"}, **analysis)
    if "max" not in rule and "min" not in rule:
        rule["max"] = 1
    assert problems(sites, policy={"prometheus": rule}) == []


def test_failure_limit_is_held_against_the_default_of_one_check(sites):
    assert problems(sites, policy={"prometheus": {"query": "up", "max": 1, "failure_limit": 2}}) == [
        "policy.prometheus.failure_limit: must be at most checks (1), got 2"]
    # a checks value that is no integer is named once, not compared
    assert problems(sites, policy={"prometheus": {"query": "up", "max": 1, "checks": "3", "failure_limit": 5}}) == [
        "policy.prometheus.checks: must be an integer, got str '3'"]


def test_each_sites_own_prometheus_is_checked_in_site_order(sites):
    sites["us"]["prometheus_url"] = "http://prom-us.example.com"
    sites["apac"]["prometheus_url"] = "http://prom-apac.example.com"
    sites["eu"]["prometheus_url"] = "https://prom-eu.example.com"
    rule = {"query": "up", "max": 1}
    assert problems(sites, policy={"prometheus": rule}) == [
        "policy.prometheus (gpufleet_prometheus_url), site %s: http://prom-%s.example.com %s"
        "policy.prometheus.allow_http: true" % (site, site, CLEAR_TEXT) for site in ("apac", "us")]
    assert problems(sites, policy={"prometheus": dict(rule, allow_http=True)}) == []
    # a release-wide url replaces the sites' own
    assert problems(sites, policy={"prometheus": dict(rule, url="https://prom.example.com")}) == []


def test_policy_problems_are_named_exactly(sites):
    policy = {"wait_timeout": 0, "max_surge": -1, "max_unavailable": -1, "lease_seconds": 14,
              "require_digest": "yes", "create_namespace": 1, "adopt": None, "network_policy": "on",
              "pause_after": None, "on_failure": None, "retries": 2}
    assert problems(sites, policy=policy) == [
        "policy.retries: unknown field (allowed: adopt, canary, create_namespace, lease_seconds, max_surge, "
        "max_unavailable, network_policy, on_failure, pause_after, prometheus, require_digest, sites_per_wave, "
        "soak_seconds, wait_timeout, waves)",
        "policy.on_failure: must be one of rollback_site, rollback_all, halt, got None",
        "policy.pause_after: must be one of none, canary, each_wave, got None",
        "policy.wait_timeout: must be >= 1, got 0",
        "policy.max_surge: must be >= 0, got -1",
        "policy.max_unavailable: must be >= 0, got -1",
        "policy.lease_seconds: must be >= 15, got 14",
        "policy.require_digest: must be true or false, got 'yes'",
        "policy.create_namespace: must be true or false, got 1",
        "policy.adopt: must be true or false, got None",
        "policy.network_policy: must be true or false, got 'on'",
    ]


@pytest.mark.parametrize("policy", [
    {"wait_timeout": 1, "lease_seconds": 15, "soak_seconds": 0},
    {"max_surge": 0, "max_unavailable": 1}, {"max_surge": 1, "max_unavailable": 0},
    {"on_failure": "halt", "pause_after": "each_wave"}, {"on_failure": "rollback_site"},
    {"adopt": True, "network_policy": True, "create_namespace": False},
])
def test_good_policies_pass_and_are_kept(sites, policy):
    result = check(sites, policy=policy)
    assert result["problems"] == []
    assert result["policy"] == dict(POLICY_DEFAULTS, require_digest=False, **policy)


def test_max_unavailable_defaults_to_zero_so_max_surge_zero_alone_is_refused(sites):
    assert problems(sites, policy={"max_surge": 0}) == [
        "policy.max_surge: and policy.max_unavailable cannot both be 0 (the rollout could never progress)"]


def test_a_policy_that_is_no_mapping_is_named_and_replaced_by_the_defaults(sites):
    result = validate_release({"release": "r1", "models": [model()], "policy": ["canary"]}, sites)
    assert result["problems"][0] == "policy: must be a mapping, got list"
    assert result["policy"] == POLICY_DEFAULTS and result["policy"] is not POLICY_DEFAULTS


def test_wave_problems_are_named_exactly(sites):
    assert problems(sites, policy={"waves": [["eu"], ["mars", "us"], ["apac", "eu"]], "sites_per_wave": 0}) == [
        "policy.sites_per_wave: cannot be combined with policy.waves; use one of them",
        "policy.waves[1], site mars: unknown site 'mars' (inventory sites: apac, eu, us)",
        "policy.waves[2], site eu: site is already in wave 1",
        "policy.sites_per_wave: must be >= 1, got 0",
    ]
    for waves in ([], [["eu"], []], "eu", [["eu", "us", "apac"], "x"]):
        assert problems(sites, policy={"waves": waves}) == [
            "policy.waves: must be a non-empty list of non-empty lists of site names"]
    assert problems(sites, policy={"waves": [["us"], ["eu"]]}) == [
        "policy.waves, site apac: site is in no wave, so it would never get the release"]


def test_sites_per_wave_or_waves_replace_the_inventory_waves(sites):
    for info in sites.values():
        del info["wave"]
    assert problems(sites, policy={"sites_per_wave": 1}) == []
    assert problems(sites, policy={"waves": [["eu", "us"], ["apac"]]}) == []
    assert problems(sites) == ["policy.waves, site %s: not set and the inventory has no gpufleet_rollout_wave for "
                               "the site" % s for s in ("apac", "eu", "us")]
    sites["eu"]["wave"] = True  # a boolean is no wave number
    assert len(problems(sites)) == 3


def test_top_level_problems_are_named_exactly(sites):
    assert problems(sites, owner="ml") == [
        "(top level).owner: unknown field (allowed: description, models, policy, release)"]
    assert validate_release(["r1"], sites) == {
        "problems": ["(top level): must be a mapping with release, models and policy, got list"]}
    assert problems(sites, release="r" * 64) == [
        "release: must be a name of lower case a-z 0-9 . - (at most 63 characters), got '%s'" % ("r" * 64)]
    assert problems(sites, release="r" * 63) == [] and problems(sites, release="chat-2.1") == []
    assert problems(sites, release=None) == [
        "release: must be a name of lower case a-z 0-9 . - (at most 63 characters), got None"]
    result = validate_release({"release": "r1", "models": [], "policy": {"require_digest": False}}, sites)
    assert result["problems"] == ["models: must be a non-empty list of models"] and result["models"] == []


def test_a_model_twice_in_one_namespace_is_named_once_per_repeat(sites):
    models = [model(), model(namespace="other"), model(), model(name=None)]
    assert problems(sites, models) == [
        "models[3].name: must be a DNS-1123 label (lower case a-z 0-9 -, at most 63), got None",
        "models[2].name, model a: duplicate model in namespace gpufleet-models"]
    assert problems(sites, [model(name=None), model(name=None)]) == [
        "models[%d].name: must be a DNS-1123 label (lower case a-z 0-9 -, at most 63), got None" % i
        for i in (0, 1)]


def test_fingerprint_is_the_sha256_of_the_compact_sorted_release_without_its_notes(sites):
    release = check(sites, description="first")
    body = {k: v for k, v in release.items() if k not in ("problems", "description")}
    expected = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()
    assert fingerprint(release) == expected
    reordered = dict(reversed(list(release.items())))
    assert fingerprint(reordered) == expected
    assert fingerprint(dict(release, problems=["x"])) == expected
    assert fingerprint(dict(release, name="r2")) != expected


def test_resolve_site_takes_the_override_then_the_model_then_the_inventory(sites):
    sites["us"].update(gpu_product="NVIDIA-A100", runtime_class="nvidia-legacy")
    chat = model(health={"endpoint": "https://chat.example.com", "timeout": 5}, gpu_product="NVIDIA-L4",
                 sites={"eu": {"endpoint": "https://eu.example.com", "image": "r.example/a:2", "version": "2",
                               "replicas": 3, "gpus": 2, "gpu_product": "NVIDIA-H200", "runtime_class": "cdi"},
                        "apac": {"enabled": False}})
    bare = model(name="b", sites={"us": {"enabled": True}})
    release = check(sites, [chat, bare])
    assert release["problems"] == []
    eu, eu_bare = resolve_site(release, "eu", sites["eu"])
    assert eu == {"name": "a", "namespace": "gpufleet-models", "image": "r.example/a:2", "version": "2",
                  "replicas": 3, "gpus": 2, "gpu_product": "NVIDIA-H200", "port": 8080, "args": [], "env": {},
                  "health": {"endpoint": "https://eu.example.com", "timeout": 5}, "runtime_class": "cdi",
                  "allow_latest": False}
    assert eu_bare["health"] is None and eu_bare["gpu_product"] == "NVIDIA-H100-80GB-HBM3"
    us, us_bare = resolve_site(release, "us", sites["us"])
    assert (us["image"], us["version"], us["replicas"], us["gpus"]) == ("r.example/a:1", "1", 1, 1)
    assert us["gpu_product"] == "NVIDIA-L4" and us["runtime_class"] == "nvidia-legacy"
    assert us["health"] == {"endpoint": "https://chat.example.com", "timeout": 5}
    assert us_bare["gpu_product"] == "NVIDIA-A100" and us_bare["runtime_class"] == "nvidia-legacy"
    assert [m["name"] for m in resolve_site(release, "apac", sites["apac"])] == ["b"]
    # the model's own health is not changed by a site's endpoint
    assert release["models"][0]["health"] == {"endpoint": "https://chat.example.com", "timeout": 5}


def test_every_override_is_checked_after_an_unknown_or_malformed_one(sites):
    us = {"replicas": "two", "version": "2 0", "endpoint": "ftp://us.example.com"}
    overrides = {"mars": {"replicas": 1}, "eu": "two replicas", "us": us}
    assert problems(sites, [model(sites=overrides)]) == [
        "models[0].sites.mars, model a, site mars: unknown site 'mars' (inventory sites: apac, eu, us)",
        "models[0].sites.eu, model a, site eu: must be a mapping of enabled, endpoint, gpu_product, gpus, image, "
        "replicas, runtime_class, version",
        "models[0].sites.us.replicas, model a, site us: must be an integer, got str 'two'",
        "models[0].sites.us.endpoint, model a, site us: must be an http(s):// URL, got 'ftp://us.example.com'",
        "models[0].sites.us.version, model a, site us: must be a string usable as a Kubernetes label value "
        "(A-Z a-z 0-9 . _ -, at most 63 characters), got '2 0'",
    ]


def test_zero_checks_is_named_and_the_default_failure_limit_is_held_against_it(sites):
    assert problems(sites, policy={"prometheus": {"query": "up", "max": 1, "checks": 0}}) == [
        "policy.prometheus.checks: must be >= 1, got 0",
        "policy.prometheus.failure_limit: must be at most checks (0), got 1"]


def test_the_fingerprint_of_a_valid_release_holding_a_yaml_date_is_taken_from_its_text(sites):
    # env valueFrom is passed through as the Kubernetes API takes it; YAML may have read a date into it
    env = {"BUILT": {"valueFrom": {"fieldRef": {"fieldPath": datetime.date(2026, 1, 1)}}}}
    release = check(sites, [model(env=env)])
    assert release["problems"] == []
    same = check(sites, [model(env={"BUILT": {"valueFrom": {"fieldRef": {"fieldPath": "2026-01-01"}}}})])
    assert fingerprint(release) == fingerprint(same)


def test_a_model_keeps_the_values_it_gives(sites):
    given = model(gpus=2, port=9000, gpu_product="NVIDIA-L4", runtime_class="nvidia-cdi", args=["--x"],
                  env={"LOG": "debug"}, health={"endpoint": "https://a.example.com"}, allow_latest=True,
                  namespace="models", sites={"eu": {"replicas": 2}})
    result = check(sites, [given])
    assert result["problems"] == []
    assert result["models"] == [dict(given)]


def test_overrides_of_a_model_without_a_valid_name_name_it_as_unknown(sites):
    assert problems(sites, [model(name="A", sites={"eu": {"replicas": 0}})]) == [
        "models[0].name, model A: must be a DNS-1123 label (lower case a-z 0-9 -, at most 63), got 'A'",
        "models[0].sites.eu.replicas, model A, site eu: must be >= 1, got 0"]
    assert problems(sites, [model(name=7, sites={"eu": {"replicas": 0}})])[1] == (
        "models[0].sites.eu.replicas, model ?, site eu: must be >= 1, got 0")


def test_an_unknown_canary_lists_the_inventory_sites(sites):
    assert problems(sites, policy={"canary": 7}) == [
        "policy.canary, site 7: unknown site 7 (inventory sites: apac, eu, us)"]


def test_the_description_is_kept(sites):
    assert check(sites, description="Chat 2.1 everywhere")["description"] == "Chat 2.1 everywhere"
