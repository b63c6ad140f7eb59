"""rollout.yml when things go wrong: every site's end state is asserted, not only the exit code."""
from __future__ import annotations

import re

import pytest
import yaml

from rollout_lab import out

pytestmark = pytest.mark.lab


def test_canary_failure_rolls_the_canary_back_and_leaves_other_sites_untouched(lab, rollout):
    good = rollout.release("1.0.0")
    assert rollout.run("rollout.yml", good).returncode == 0
    before = rollout.states()

    broken = rollout.release("2.0.0", image_suffix="-broken", wait_timeout=20)
    proc = rollout.run("rollout.yml", broken)
    assert proc.returncode != 0

    after = rollout.states()
    assert (after["lab-eu"]["version"], after["lab-eu"]["ready"]) == ("1.0.0", 2)
    assert "-broken" not in after["lab-eu"]["image"]
    for site in ("lab-us", "lab-apac"):
        assert after[site] == before[site], "%s was touched: %s -> %s" % (site, before[site], after[site])

    report = rollout.report(broken)
    eu = report["sites"][0]
    assert (eu["site"], eu["status"], eu["running_now"]) == ("lab-eu", "rolled_back", "%s=1.0.0" % rollout.model)
    assert "lab-eu" in eu["diagnosis"] and re.search(r"Readiness|not ready|ContainersNotReady", eu["diagnosis"])
    assert [s["status"] for s in report["sites"][1:]] == ["pending", "pending"]
    text = out(proc)
    assert "lab-eu: %s=1.0.0 (journal: rolled_back)" % rollout.model in text
    assert "lab-us: %s=1.0.0 (journal: pending)" % rollout.model in text


def test_site_api_down_before_start_fails_preflight_and_changes_nothing(lab, rollout):
    release = rollout.release("1.0.0")
    lab.fault("lab-us", "down")
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    text = out(proc)
    assert "no site was changed" in text
    assert re.search(r"at site lab-us: API server unreachable", text), text
    assert not any(rollout.namespace_exists(s) for s in lab.sites if s.name != "lab-us")
    lab.fault("lab-us", "up")
    assert rollout.states() == {s.name: None for s in lab.sites}
    assert not rollout.namespace_exists("lab-us")


def test_insufficient_gpus_on_one_site_fails_preflight_naming_site_requested_and_free(lab, rollout):
    gpus = lab.site("lab-us").nodes * lab.site("lab-us").gpus_per_node
    release = rollout.release("1.0.0", model={"sites": {"lab-us": {"replicas": gpus}}})
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    match = re.search(r"site lab-us has not enough nvidia.com/gpu of product (\S+): requested (\d+) .*?free (\d+)", out(proc))
    assert match, out(proc)
    assert match.group(1) == lab.site("lab-us").gpu_product
    assert int(match.group(2)) == gpus + 1 and int(match.group(3)) <= gpus
    assert "no site was changed" in out(proc)
    assert rollout.states() == {s.name: None for s in lab.sites}
    assert not any(rollout.namespace_exists(s) for s in lab.sites)


@pytest.mark.parametrize("model, policy, expected", [
    ({"image": "example.invalid/chat:latest"}, {}, "models[0].image, model {model}: 'example.invalid/chat:latest' uses :latest"),
    ({"version": 1.10}, {}, "models[0].version, model {model}: must be a quoted string"),
    ({"sites": {"lab-mars": {"replicas": 1}}}, {}, "models[0].sites.lab-mars, model {model}, site lab-mars: unknown site"),
    ({}, {"waves": [["lab-eu"], ["lab-us"]]}, "policy.waves, site lab-apac: site is in no wave"),
    ({"replicas": 0}, {"on_failure": "retry"}, "policy.on_failure: must be one of"),
], ids=["latest-image", "float-version", "unknown-site", "site-in-no-wave", "two-problems"])
def test_malformed_release_is_refused_before_anything_changes(lab, rollout, model, policy, expected):
    release = rollout.release("1.0.0", model=model, **policy)
    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    assert expected.format(model=rollout.model) in out(proc), out(proc)
    assert "Failed to validate release file %s" % release in out(proc)
    assert "TASK [Preflight every site in parallel" not in proc.stdout
    assert not any(rollout.namespace_exists(s) for s in lab.sites)
    assert rollout.journal(release) is None


def test_every_problem_of_a_release_is_named_in_one_run(lab, rollout):
    """Fifteen distinct kinds of mistakes in one file: each reported with its field, model or site."""
    release = rollout.release("1.0.0", on_failure="retry", canary="lab-mars", max_surge=0, max_unavailable=0,
                              waves=[["lab-eu"], ["lab-us"]], soak_seconds="long", model={
                                  "version": 1.10, "image": "example.invalid/chat:latest", "replicas": -1,
                                  "gpus": "two", "env": ["A=1"], "sites": {"lab-mars": {"replicas": 1}},
                                  "health": {"protocol": "grpc", "endpoint": "ftp://models.invalid"}})
    body = yaml.safe_load(release.read_text())
    body["colour"] = "blue"
    body["models"].append(dict(body["models"][0], name="Bad_Name", version="1", image="example.invalid/chat:1",
                               replicas=1, gpus=1, env={}, sites={}, health=None))
    del body["models"][1]["health"]
    release.write_text(yaml.safe_dump(body, sort_keys=False))

    proc = rollout.run("rollout.yml", release)
    assert proc.returncode != 0
    model = rollout.model
    expected = [
        "(top level).colour: unknown field",
        "policy.canary, site lab-mars: unknown site 'lab-mars'",
        "policy.on_failure: must be one of rollback_site, rollback_all, halt, got 'retry'",
        "policy.soak_seconds: must be an integer, got str 'long'",
        "policy.max_surge: and policy.max_unavailable cannot both be 0",
        "policy.waves, site lab-apac: site is in no wave",
        "models[0].image, model %s: 'example.invalid/chat:latest' uses :latest" % model,
        "models[0].version, model %s: must be a quoted string, got the number 1.1" % model,
        "models[0].replicas, model %s: must be >= 1, got -1" % model,
        "models[0].gpus, model %s: must be an integer, got str 'two'" % model,
        "models[0].env, model %s: must be a mapping of names to quoted string values (or Secret keys)" % model,
        "models[0].health.protocol, model %s: must be one of v2, tfserving, got 'grpc'" % model,
        "models[0].health.endpoint, model %s: must be an http(s):// URL, got 'ftp://models.invalid'" % model,
        "models[0].sites.lab-mars, model %s, site lab-mars: unknown site 'lab-mars'" % model,
        "models[1].name, model Bad_Name: must be a DNS-1123 label",
    ]
    missing = [e for e in expected if e not in out(proc)]
    assert not missing, "not reported: %s\n%s" % (missing, out(proc))
    assert "TASK [Preflight every site in parallel" not in proc.stdout
    assert not any(rollout.namespace_exists(s) for s in lab.sites)
    assert rollout.journal(release) is None


def test_check_mode_previews_without_changing_anything(lab, rollout):
    release = rollout.release("1.0.0")
    proc = rollout.run("rollout.yml", release, "--check")
    assert proc.returncode == 0, out(proc)
    assert "deploy - not started" in proc.stdout
    # The plan as a table: every site with its batch, the model created, its replicas and GPUs.
    header = next(line for line in proc.stdout.splitlines() if "FROM -> TO" in line)
    assert header.split()[:4] == ["SITE", "BATCH", "MODEL", "FROM"]
    names = [s.name for s in lab.sites]
    rows = [line.split() for line in proc.stdout.splitlines() if line.split()[:1] in ([n] for n in names)]
    assert sorted(r[0] for r in rows if "create" in r) == sorted(names)
    assert not any(rollout.namespace_exists(s) for s in lab.sites)
    assert rollout.journal(release) is None
