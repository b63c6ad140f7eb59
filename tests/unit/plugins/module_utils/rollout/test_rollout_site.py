"""The site step (module_utils/rollout/site.py): what it applies, when it rolls back, what it records.

The API is a small in-memory server: applies store objects, and a Deployment becomes complete on
the next read unless its image carries the lab's `-broken` marker (then its pods never get ready).
Time is a fake clock that sleeping advances, so deadlines and progress lines are exact.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import Response
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import new_journal
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import POLICY_DEFAULTS
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.site import (
    SiteStep, deploy_params, entry_before, restore_params, run_site, should_roll_back, versions_of)


class FakeApi:
    """Stores what is applied; a Deployment completes when read unless its image is `-broken`."""

    def __init__(self, site="lab-eu"):
        self.site = site
        self.objects = {("Namespace", "models"): {"kind": "Namespace", "metadata": {"name": "models"}}}
        self.unreachable = False
        self.spared = set()  # kinds that still answer while unreachable
        self.reads = 0

    def _check(self, kind, name, namespace):
        if self.unreachable and kind not in self.spared:
            raise ApiError("read", "%s %s/%s" % (kind, namespace, name), self.site,
                           "API server unreachable: Read timed out")

    def get(self, kind, name, namespace=None):
        self._check(kind, name, namespace)
        self.reads += 1
        obj = self.objects.get((kind, name))
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        if kind == "Deployment":
            replicas = obj["spec"]["replicas"]
            image = obj["spec"]["template"]["spec"]["containers"][0]["image"]
            ready = 0 if "-broken" in image else replicas
            obj["status"] = {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                             "readyReplicas": ready, "availableReplicas": ready}
            obj["metadata"]["generation"] = 1
        return obj

    def apply(self, obj, field_manager, force=True, dry_run=False):
        self._check(obj["kind"], obj["metadata"]["name"], obj["metadata"].get("namespace"))
        key = (obj["kind"], obj["metadata"]["name"])
        stored = copy.deepcopy(obj)
        if not dry_run:
            self.objects[key] = stored
        return copy.deepcopy(stored)

    def create(self, obj):
        """As the server does: 409 when the name is taken; resourceVersion set by the store."""
        key = (obj["kind"], obj["metadata"]["name"])
        if key in self.objects:
            raise ApiError("create", "%s %s" % key, self.site, "AlreadyExists", status=409)
        self.version_counter = getattr(self, "version_counter", 0) + 1
        stored = copy.deepcopy(obj)
        stored["metadata"]["resourceVersion"] = str(self.version_counter)
        self.objects[key] = stored
        return copy.deepcopy(stored)

    def replace(self, obj):
        """PUT with optimistic concurrency: a stale resourceVersion is a 409 Conflict."""
        key = (obj["kind"], obj["metadata"]["name"])
        live = self.objects.get(key)
        if live is None:
            raise ApiError("update", "%s %s" % key, self.site, "NotFound", status=404)
        if obj["metadata"].get("resourceVersion") != live["metadata"]["resourceVersion"]:
            raise ApiError("update", "%s %s" % key, self.site, "Conflict", status=409)
        del self.objects[key]
        return self.create(obj)

    def delete(self, kind, name, namespace=None):
        return self.objects.pop((kind, name), None) is not None

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        self._check(kind, None, namespace)
        if kind == "Lease":
            return [copy.deepcopy(o) for (k, _n), o in self.objects.items()
                    if k == kind and o["metadata"].get("namespace") == namespace]
        if kind != "Deployment":
            return []
        return [self.get(kind, name, namespace) for (k, name), obj in list(self.objects.items())
                if k == kind and obj["metadata"].get("namespace") == namespace]

    def version(self, name="chat"):
        d = self.objects.get(("Deployment", name))
        return None if d is None else d["metadata"]["labels"]["app.kubernetes.io/version"]


class Clock:
    def __init__(self):
        self.t = 1000.0
        self.start = datetime(2026, 12, 1, tzinfo=timezone.utc)

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += max(seconds, 0.01)

    def now(self):
        return self.start + timedelta(seconds=self.t - 1000.0)


def model(version="2.0.0", image=None, **extra):
    return dict({"name": "chat", "namespace": "models", "image": image or "example.invalid/chat:%s" % version,
                 "version": version, "replicas": 2, "gpus": 1, "gpu_product": None, "port": 8080, "args": [],
                 "env": {}, "health": None, "runtime_class": "none", "allow_latest": False}, **extra)


def policy(**extra):
    return dict(dict(POLICY_DEFAULTS, wait_timeout=30, require_digest=False), **extra)


@pytest.fixture
def journal(tmp_path):
    path = str(tmp_path / "journal" / "rel.json")
    journal_store.update(path, lambda _current: new_journal("rel", "f" * 64, {}, "2026-12-01T00:00:00.000000Z"))
    return path


def entry(path, site="lab-eu"):
    return journal_store.load(path)["sites"][site]


def step(api, clock, journal_path, models, pol, lines=None, **kw):
    return SiteStep(api, api.site, models, pol, journal_path, host="api-" + api.site, clock=clock,
                    sleep=clock.sleep, now=clock.now, progress=None if lines is None else lines.append, **kw)


def deployed_at(api, clock, journal_path, version):
    """The site already runs `version`, as an earlier release (journaled elsewhere) left it; returns
    what this release's preflight would record as `before`."""
    step(api, clock, None, [model(version)], policy()).rollout({"chat": {"exists": False}})
    return {"chat": {"exists": True, "version": version, "image": "example.invalid/chat:%s" % version,
                     "replicas": 2, "gpus": 1, "gpu_product": None, "port": 8080, "runtime_class": "none",
                     "args": [], "env": {}}}


def test_happy_path_journals_deploying_deployed_verified_and_reports_every_step(journal):
    api, clock = FakeApi(), Clock()
    seen = []
    original = journal_store.update

    def spy(path, mutate, check_mode=False):
        result = original(path, mutate, check_mode)
        seen.append(result[1]["sites"]["lab-eu"]["status"])
        return result

    journal_store.update = spy
    try:
        result = step(api, clock, journal, [model()], policy()).rollout({"chat": {"exists": False}})
    finally:
        journal_store.update = original
    assert seen == ["deploying", "deployed", "verified"]
    assert result["status"] == "verified" and result["site_failed"] is False and result["changed"] is True
    assert [s["name"] for s in result["steps"]] == ["lease", "apply", "wait"]
    assert all(s["ok"] for s in result["steps"])
    assert result["at_release"] is True and result["running"] == "chat=2.0.0"
    recorded = entry(journal)
    assert recorded["before"] == {"chat": {"exists": False}}
    assert recorded["after"]["chat"]["version"] == "2.0.0"
    assert recorded["gates"] == [{"name": "available", "ok": True, "detail": "chat 2/2 ready"}]
    assert set(recorded["phases"]) == {"deploy", "gate"}


def test_rerun_measures_the_gate_from_this_run_not_a_stale_start(journal):
    api, clock = FakeApi(), Clock()
    step(api, clock, journal, [model()], policy()).rollout({})
    clock.t += 45.0
    step(api, clock, journal, [model()], policy()).rollout({})
    assert entry(journal)["phases"]["gate"]["seconds"] < 1.0


def test_broken_image_fails_at_the_deadline_with_its_cause_and_rolls_back(journal):
    api, clock = FakeApi(), Clock()
    before = deployed_at(api, clock, journal, "1.0.0")
    lines = []
    started = clock()
    result = step(api, clock, journal, [model("2.0.0", image="example.invalid/chat-broken:2.0.0")],
                  policy(wait_timeout=30), lines).rollout(before)
    assert result["site_failed"] is True and result["status"] == "rolled_back"
    assert result["cause"].startswith("wait failed: Failed to roll out Deployment models/chat at site lab-eu")
    assert api.version() == "1.0.0"
    recorded = entry(journal)
    assert recorded["status"] == "rolled_back" and recorded["diagnosis"] == result["cause"]
    assert recorded["after"] == before
    assert recorded["before"]["chat"]["version"] == "1.0.0", "the rollback target is the first run's"
    # Waited up to the deadline, not beyond one poll past it, and said why every 10 s.
    wait = [s for s in result["steps"] if s["name"] == "wait"][0]
    assert 30.0 <= wait["seconds"] <= 31.5
    assert clock() - started < 2 * 30 + 5
    waiting = [line for line in lines if line.startswith("lab-eu chat: 0/2 ready")]
    assert len(waiting) >= 2


def test_halt_leaves_the_failed_site_as_it_is(journal):
    api, clock = FakeApi(), Clock()
    before = deployed_at(api, clock, journal, "1.0.0")
    result = step(api, clock, journal, [model("2.0.0", image="example.invalid/chat-broken:2.0.0")],
                  policy(on_failure="halt")).rollout(before)
    assert result["status"] == "failed" and result["site_failed"] is True
    assert api.version() == "2.0.0"
    assert entry(journal)["status"] == "failed"
    assert should_roll_back(policy(on_failure="halt")) is False
    assert should_roll_back(policy(on_failure="rollback_all")) is True


def test_a_new_model_rolled_back_is_removed(journal):
    api, clock = FakeApi(), Clock()
    result = step(api, clock, journal, [model("2.0.0", image="example.invalid/chat-broken:2.0.0")],
                  policy()).rollout({"chat": {"exists": False}})
    assert result["status"] == "rolled_back"
    assert ("Deployment", "chat") not in api.objects and ("Service", "chat") not in api.objects
    assert entry(journal)["after"] == {"chat": {"exists": False}}


def test_unreachable_site_fails_with_the_real_cause_within_the_deadline(journal):
    api, clock = FakeApi(), Clock()
    before = deployed_at(api, clock, journal, "1.0.0")
    api.unreachable, api.spared = True, {"Lease", "Namespace"}
    started = clock()
    result = step(api, clock, journal, [model()], policy(wait_timeout=20)).rollout(before)
    assert result["site_failed"] is True and result["status"] == "rollback_failed"
    assert "API server unreachable: Read timed out" in result["cause"]
    assert "API server unreachable: Read timed out" in entry(journal)["diagnosis"]
    assert result["reachable"] is False and result["running"] == "unreachable"
    assert clock() - started <= 2 * 20 + 1


def test_a_site_unreachable_from_the_start_fails_before_changing_anything(journal):
    api, clock = FakeApi(), Clock()
    before = deployed_at(api, clock, journal, "1.0.0")
    api.unreachable = True
    result = step(api, clock, journal, [model(version="2.0.0")], policy(wait_timeout=20)).rollout(before)
    assert result["site_failed"] is True and result["status"] == "failed"
    assert [s["name"] for s in result["steps"]] == ["lease"]
    assert "API server unreachable: Read timed out" in entry(journal)["diagnosis"]
    assert entry(journal)["status"] == "failed" and api.version() == "1.0.0"


def test_failed_prometheus_gate_rolls_the_site_back_naming_the_value(journal):
    api, clock = FakeApi(), Clock()
    before = deployed_at(api, clock, journal, "1.0.0")
    body = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.5"]}]}}
    asked = []

    def requester(method, url, options, payload):
        asked.append(url)
        return Response(status=200, body=body)

    rule = {"query": "error_ratio{site=\"$site\"}", "max": 0.1}
    result = step(api, clock, journal, [model()], policy(prometheus=rule), prometheus_url="http://127.0.0.1:9090",
                  requester=requester).rollout(before)
    assert result["status"] == "rolled_back"
    assert "returned 0.5, expected <= 0.1" in result["cause"]
    assert "lab-eu" in asked[0] and asked[0].startswith("http://127.0.0.1:9090/api/v1/query?query=")
    assert api.version() == "1.0.0"
    gates = entry(journal)["gates"]
    assert gates[-1] == {"name": "gate prometheus", "ok": False, "detail": result["cause"].split(": ", 1)[1]}


def test_failed_endpoint_gate_rolls_the_site_back(journal):
    api, clock = FakeApi(), Clock()
    before = deployed_at(api, clock, journal, "1.0.0")

    def requester(method, url, options, payload):
        return Response(status=None, error="Connection refused", error_kind="connect")

    health = {"protocol": "v2", "endpoint": "http://127.0.0.1:1", "timeout": 5}
    result = step(api, clock, journal, [model(health=health)], policy(), requester=requester).rollout(before)
    assert result["status"] == "rolled_back"
    assert result["cause"].startswith("gate endpoint failed: Failed to verify model chat version 2.0.0 at site lab-eu")
    assert api.version() == "1.0.0"


def test_soak_rechecks_the_site_after_waiting(journal):
    api, clock = FakeApi(), Clock()
    lines = []
    result = step(api, clock, journal, [model()], policy(soak_seconds=25), lines).rollout({})
    assert result["status"] == "verified"
    assert [g["name"] for g in entry(journal)["gates"]] == ["available", "soak"]
    assert any("soaking" in line for line in lines)
    soak = [s for s in result["steps"] if s["name"] == "gate soak"][0]
    assert soak["seconds"] >= 25


def test_check_mode_applies_nothing_and_writes_no_journal(tmp_path):
    api, clock = FakeApi(), Clock()
    path = str(tmp_path / "journal" / "rel.json")
    result = step(api, clock, path, [model()], policy(), check_mode=True).rollout({})
    assert result["status"] == "planned" and result["changed"] is True
    assert ("Deployment", "chat") not in api.objects
    assert not (tmp_path / "journal").exists()


def test_rollback_action_reads_the_target_from_the_journal(journal):
    api, clock = FakeApi(), Clock()
    step(api, clock, journal, [model("1.0.0")], policy()).rollout({"chat": {"exists": False}})
    assert json.loads(json.dumps(entry(journal)["before"])) == {"chat": {"exists": False}}
    params = {"site": "lab-eu", "models": [model("1.0.0")], "policy": policy(), "journal": journal,
              "action": "rollback"}
    assert run_site(api, dict(params, only_statuses=["failed"]), False)["status"] == "untouched"
    assert api.version() == "1.0.0"
    result = run_site(api, params, False)
    assert result["status"] == "rolled_back" and ("Deployment", "chat") not in api.objects
    assert entry(journal)["status"] == "rolled_back"


def test_entry_before_follows_the_statuses_asked_for():
    doc = {"sites": {"a": {"status": "verified", "before": {"m": {"exists": False}}},
                     "b": {"status": "pending", "before": None}}}
    assert entry_before(doc, "a", None) == {"m": {"exists": False}}
    assert entry_before(doc, "a", ["failed"]) is None
    assert entry_before(doc, "b", None) is None
    assert entry_before(doc, "zz", None) is None and entry_before(None, "a", None) is None


def test_parameters_for_deploy_and_restore():
    pol = policy(max_surge=0, max_unavailable=1, require_digest=True)
    params = deploy_params(model(env={"A": "1"}), pol, 30)
    assert (params["model_version"], params["replicas"], params["env"], params["wait"]) == ("2.0.0", 2, {"A": "1"}, False)
    assert params["strategy"] == {"max_surge": 0, "max_unavailable": 1} and params["require_digest"] is True
    assert deploy_params(model(runtime_class=None), pol, 30)["runtime_class"] == "nvidia"
    gone = restore_params(model(), {"exists": False}, pol, 30)
    assert gone["state"] == "absent"
    previous = {"exists": True, "version": "1.0.0", "image": "example.invalid/chat:latest", "replicas": 3, "gpus": 2,
                "port": 9000, "env": {"B": "2"}, "args": ["--x"], "runtime_class": "nvidia", "gpu_product": "L40S"}
    back = restore_params(model(), previous, pol, 30)
    assert (back["image"], back["model_version"], back["replicas"], back["gpus"], back["port"]) == (
        "example.invalid/chat:latest", "1.0.0", 3, 2, 9000)
    assert back["allow_latest"] is True and back["require_digest"] is False
    assert (back["env"], back["args"], back["gpu_product"]) == ({"B": "2"}, ["--x"], "L40S")


def test_versions_of():
    assert versions_of({"b": {"version": "2"}, "a": {"exists": False}}) == "a=absent, b=2"
    assert versions_of(None) == "-"


def test_the_preflight_of_this_run_is_journaled_as_its_phase(journal):
    api, clock = FakeApi(), Clock()
    timing = {"started": "2026-12-01T00:00:00.100000Z", "finished": "2026-12-01T00:00:00.350000Z"}
    step(api, clock, journal, [model()], policy()).rollout({}, timing)
    assert entry(journal)["phases"]["preflight"] == dict(timing, seconds=0.25)


def test_the_step_returns_the_diff_of_what_it_changed(journal):
    api, clock = FakeApi(), Clock()
    result = step(api, clock, journal, [model()], policy()).rollout({})
    assert [d["before_header"] for d in result["diff"]] == ["Deployment models/chat", "Service models/chat"]
    again = step(api, clock, journal, [model()], policy()).rollout({})
    assert again["diff"] == [] and again["changed"] is False


def test_models_are_applied_together_once_the_leases_checked_the_namespace(journal):
    """The first model went alone so that it checked the namespace for the others; the leases check
    it first now, so no model waits for another (a distant site pays round trips per batch)."""
    import threading

    api, clock = FakeApi(), Clock()
    original_get = api.get
    readers, namespace_reads = [], []

    def get(kind, name, namespace=None):
        if kind == "Deployment":
            readers.append(threading.current_thread() is threading.main_thread())
        if kind == "Namespace":
            namespace_reads.append(name)
        return original_get(kind, name, namespace)

    api.get = get
    models = [model(name="m%d" % i) for i in range(3)]
    result = step(api, clock, journal, models, policy()).rollout({})
    assert result["status"] == "verified"
    # The applies' reads come first; the wait's and the final read's follow in this thread.
    assert readers[:3] == [False, False, False]
    assert namespace_reads == ["models"]
