"""Release schema: a valid file normalizes; each malformed kind is named by field, model, site."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import (
    fingerprint, resolve_site, validate_release)


def test_valid_release_normalizes_with_defaults(load_release, sites):
    release = validate_release(load_release("valid.yml"), sites)
    assert release["problems"] == []
    chat, embed = release["models"]
    assert chat["namespace"] == "models" and chat["port"] == 8080
    assert embed["namespace"] == "gpufleet-models"
    assert release["policy"]["on_failure"] == "rollback_all"
    assert release["policy"]["max_surge"] == 1 and release["policy"]["wait_timeout"] == 300


def test_resolve_site_applies_overrides_then_inventory(load_release, sites):
    release = validate_release(load_release("valid.yml"), sites)
    apac = {m["name"]: m for m in resolve_site(release, "apac", sites["apac"])}
    eu = {m["name"]: m for m in resolve_site(release, "eu", sites["eu"])}
    assert apac["chat-llm"]["replicas"] == 1 and apac["chat-llm"]["gpu_product"] == "NVIDIA-L40S"
    assert eu["chat-llm"]["replicas"] == 2 and eu["chat-llm"]["gpu_product"] == "NVIDIA-H100-80GB-HBM3"
    assert eu["chat-llm"]["health"] is None and eu["chat-llm"]["runtime_class"] is None


def test_runtime_class_from_site_override_model_then_inventory(load_release, sites):
    data = load_release("valid.yml")
    data["models"][0]["runtime_class"] = "nvidia-cdi"
    data["models"][0]["sites"]["apac"]["runtime_class"] = "nvidia-legacy"
    sites["us"]["runtime_class"] = "none"
    release = validate_release(data, sites)
    assert release["problems"] == []
    chat = {s: resolve_site(release, s, sites[s])[0]["runtime_class"] for s in sites}
    embed = {s: resolve_site(release, s, sites[s])[1]["runtime_class"] for s in sites}
    assert chat == {"eu": "nvidia-cdi", "us": "nvidia-cdi", "apac": "nvidia-legacy"}
    assert embed == {"eu": None, "us": "none", "apac": None}


def test_fingerprint_changes_with_content_not_description(load_release, sites):
    data = load_release("valid.yml")
    first = fingerprint(validate_release(data, sites))
    data["description"] = "reworded"
    assert fingerprint(validate_release(data, sites)) == first
    data["models"][0]["version"] = "2.1.1"
    assert fingerprint(validate_release(data, sites)) != first


MALFORMED = [
    ("bad-top-level.yml", ["(top level): must be a mapping"]),
    ("bad-release-name.yml", ["release: must be a name", "'Chat_Release!'"]),
    ("no-models.yml", ["models: must be a non-empty list"]),
    ("missing-image.yml", ["models[0].image, model chat-llm: is required"]),
    ("latest-image.yml", ["models[0].image, model chat-llm:", "uses :latest"]),
    ("untagged-image.yml", ["models[0].image, model chat-llm:", "has no tag and no digest"]),
    ("bad-digest.yml", ["models[0].image, model chat-llm: digest 'sha256:abc'"]),
    ("float-version.yml", ["models[0].version, model chat-llm: must be a quoted string", "1.1"]),
    ("zero-replicas.yml", ["models[0].replicas, model chat-llm: must be >= 1, got 0"]),
    ("string-gpus.yml", ["models[0].gpus, model chat-llm: must be an integer, got str 'two'"]),
    ("unknown-model-field.yml", ["models[0].replica, model chat-llm: unknown field"]),
    ("duplicate-model.yml", ["models[1].name, model chat-llm: duplicate model in namespace gpufleet-models"]),
    ("unknown-override-site.yml", ["models[0].sites.mars, model chat-llm, site mars: unknown site 'mars'"]),
    ("bad-override-replicas.yml", ["models[0].sites.us.replicas, model chat-llm, site us: must be >= 1, got -1"]),
    ("unknown-canary.yml", ["policy.canary, site mars: unknown site 'mars'"]),
    ("bad-on-failure.yml", ["policy.on_failure: must be one of rollback_site, rollback_all, halt, got 'retry'"]),
    ("wave-missing-site.yml", ["policy.waves, site apac: site is in no wave"]),
    ("wave-twice.yml", ["policy.waves[1], site us: site is already in wave 1"]),
    ("no-progress.yml", ["policy.max_surge: and policy.max_unavailable cannot both be 0"]),
    ("require-digest.yml", ["models[0].image, model chat-llm: 'r.example/m:1' has no @sha256 digest and digests are required"]),
    ("bad-health.yml", ["models[0].health.protocol, model chat-llm: must be one of v2, tfserving",
                        "models[0].health.endpoint, model chat-llm: must be an http(s):// URL"]),
    ("bad-prometheus.yml", ["policy.prometheus.query: is required", "policy.prometheus.max: must be a number"]),
    ("bad-model-name.yml", ["models[0].name, model Chat_LLM: must be a DNS-1123 label"]),
    ("negative-soak.yml", ["policy.soak_seconds: must be >= 0, got -5"]),
]


@pytest.mark.parametrize("fixture, expected", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_release_names_field_model_site(load_release, sites, fixture, expected):
    problems = validate_release(load_release(fixture), sites)["problems"]
    text = "\n".join(problems)
    for fragment in expected:
        assert fragment in text, text


def test_every_problem_is_reported_not_only_the_first(load_release, sites):
    data = {"release": "r1", "models": [
        {"name": "a", "image": "r.example/a:latest", "version": 1.5, "replicas": 0},
        {"name": "b", "version": "1", "replicas": 1, "gpus": -1},
    ], "policy": {"on_failure": "panic", "canary": "mars"}}
    problems = validate_release(data, sites)["problems"]
    assert len(problems) == 7, problems


def test_missing_inventory_wave_is_named(load_release, sites):
    del sites["us"]["wave"]
    data = {"release": "r1", "models": [{"name": "a", "image": "r.example/a:1", "version": "1", "replicas": 1}],
            "policy": {"require_digest": False}}
    assert validate_release(data, sites)["problems"] == [
        "policy.waves, site us: not set and the inventory has no gpufleet_rollout_wave for the site"]


def test_a_site_can_pin_a_version_and_image_or_leave_a_model_off(load_release, sites):
    data = load_release("valid.yml")
    data["models"][0]["sites"]["apac"].update(version="2.1.0-int8", image="registry.example.com/ml/chat:2.1.0-int8")
    data["models"][1]["sites"] = {"us": {"enabled": False}}
    release = validate_release(data, sites)
    assert release["problems"] == []
    apac = {m["name"]: m for m in resolve_site(release, "apac", sites["apac"])}
    assert (apac["chat-llm"]["version"], apac["chat-llm"]["image"]) == (
        "2.1.0-int8", "registry.example.com/ml/chat:2.1.0-int8")
    assert [m["name"] for m in resolve_site(release, "us", sites["us"])] == ["chat-llm"]
    assert resolve_site(release, "eu", sites["eu"])[0]["version"] == "2.1.0"


def test_bad_per_site_version_image_and_enabled_are_named(load_release, sites):
    data = load_release("valid.yml")
    data["models"][0]["sites"]["apac"].update(version=1.1, image="r/chat:latest", enabled="no")
    problems = validate_release(data, sites)["problems"]
    assert any(p.startswith("models[0].sites.apac.version, model chat-llm, site apac: must be a quoted string")
               for p in problems), problems
    assert any(p.startswith("models[0].sites.apac.image, model chat-llm, site apac:") and ":latest" in p
               for p in problems), problems
    assert "models[0].sites.apac.enabled, model chat-llm, site apac: must be true or false, got 'no'" in problems


def test_pause_after_is_checked(load_release, sites):
    data = load_release("valid.yml")
    data["policy"]["pause_after"] = "each_site"
    problems = validate_release(data, sites)["problems"]
    assert problems == ["policy.pause_after: must be one of none, canary, each_wave, got 'each_site'"]
    data["policy"]["pause_after"] = "canary"
    assert validate_release(data, sites)["policy"]["pause_after"] == "canary"


def test_a_release_requires_digests_unless_it_says_otherwise(sites):
    by_tag = {"release": "r1", "models": [{"name": "a", "image": "r.example/a:1", "version": "1", "replicas": 1}]}
    assert validate_release(by_tag, sites)["problems"] == [
        "models[0].image, model a: 'r.example/a:1' has no @sha256 digest and digests are required (require_digest, "
        "true by default in a release's policy); pin a digest, or set require_digest: false to deploy by tag"]
    assert validate_release(dict(by_tag, policy={"require_digest": False}), sites)["problems"] == []
    pinned = dict(by_tag, models=[dict(by_tag["models"][0], image="r.example/a:1@sha256:" + "a" * 64)])
    assert validate_release(pinned, sites)["problems"] == []


def test_env_takes_literals_and_secret_keys_and_names_a_bad_value(sites):
    model = {"name": "a", "image": "r.example/a:1", "version": "1", "replicas": 1,
             "env": {"HF_TOKEN": {"secret": "hf", "key": "token"}, "LOG": "debug", "BAD": 3}}
    result = validate_release({"release": "r1", "models": [model], "policy": {"require_digest": False}}, sites)
    assert result["problems"] == ["models[0].env.BAD, model a: must be a quoted string, {secret: NAME, key: KEY} "
                                  "for a Secret's key, or {valueFrom: {...}} as in the Kubernetes API"]
    del model["env"]["BAD"]
    result = validate_release({"release": "r1", "models": [model], "policy": {"require_digest": False}}, sites)
    assert result["problems"] == [] and result["models"][0]["name"] == "a"
    assert result["models"][0]["env"]["HF_TOKEN"] == {"secret": "hf", "key": "token"}
