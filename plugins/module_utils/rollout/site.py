# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site's step of a rollout, start to end: the sequence the playbook used to spell in Jinja.

journal `deploying` -> apply every model -> wait for all of them together -> gates (available,
endpoint, soak + re-check, Prometheus) -> journal `verified`. On failure: the diagnosis, the
site's rollback per policy.on_failure, the journal. A rollback alone (rollback.yml, rollback_all)
is the same machinery pointed at the versions recorded before the release.

Every wait and every API request is bounded by the step's deadline (policy.wait_timeout for the
deploy and for the rollback, each), so a partitioned site is reported within the deadline plus
one request timeout. The journal is written here and nowhere else during a rollout.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import PARALLEL_REQUESTS
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import resolve, unresolved
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    CONTAINER_NAME, selector_labels)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.fleet import live_deployments
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import snapshot
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import DeployRunner
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.waiter import wait_for_all
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.gates import (
    GateFailed, endpoint_gate, prometheus_gate)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import apply_event, desired_by_model, iso
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.leases import (
    DEFAULT_LEASE_SECONDS, LeaseHeld, Leases, run_identity)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import model_at_desired

FIELD_MANAGER = "gpufleet.datacenter"
DEFAULT_RUNTIME_CLASS = "nvidia"
APPLY_WORKERS = PARALLEL_REQUESTS


class StepFailed(Exception):
    """A step of the site's sequence failed; cause is the real reason, as the journal records it."""

    def __init__(self, step: str, cause: str, diagnosis: Optional[Dict[str, Any]] = None):
        self.step = step
        self.cause = cause
        self.diagnosis = diagnosis
        super().__init__("%s: %s" % (step, cause))


def deploy_params(model: Dict[str, Any], policy: Dict[str, Any], timeout: float) -> Dict[str, Any]:
    """model_deploy's parameters for one model of the release as resolved for the site (pure)."""
    return {
        "name": model["name"], "namespace": model["namespace"], "state": "present",
        "create_namespace": policy["create_namespace"], "image": model["image"],
        "allow_latest": bool(model.get("allow_latest")), "require_digest": bool(policy.get("require_digest")),
        "model_version": str(model["version"]), "replicas": model["replicas"], "gpus": model["gpus"],
        "gpu_product": model.get("gpu_product") or None,
        "runtime_class": model.get("runtime_class") or DEFAULT_RUNTIME_CLASS,
        "port": model["port"], "args": model.get("args") or [], "env": model.get("env") or {},
        "strategy": {"max_surge": policy["max_surge"], "max_unavailable": policy["max_unavailable"]},
        "revision_history_limit": 10, "progress_deadline_seconds": 600, "field_manager": FIELD_MANAGER,
        "force_conflicts": True, "adopt": bool(policy.get("adopt")), "wait": False, "wait_timeout": timeout,
        "network_policy": bool(policy.get("network_policy")),
    }


def restore_params(model: Dict[str, Any], previous: Optional[Dict[str, Any]], policy: Dict[str, Any],
                   timeout: float) -> Dict[str, Any]:
    """Parameters that return one model to what ran before the release, or remove it (pure)."""
    previous = previous or {"exists": False}
    if not previous.get("exists"):
        return {"name": model["name"], "namespace": model["namespace"], "state": "absent",
                "field_manager": FIELD_MANAGER, "network_policy": bool(policy.get("network_policy")), "wait": True, "wait_timeout": timeout, "wait_sleep": 0.5}
    restored = dict(model, image=previous.get("image"), version=previous.get("version") or "unknown",
                    replicas=previous.get("replicas") or model["replicas"],
                    gpus=previous["gpus"] if previous.get("gpus") is not None else model["gpus"],
                    gpu_product=previous.get("gpu_product"),
                    runtime_class=previous.get("runtime_class") or model.get("runtime_class"),
                    port=previous.get("port") or model["port"], args=previous.get("args") or [],
                    env=previous.get("env") or {},
                    # Where we return to, whatever policy it was deployed under.
                    allow_latest=True)
    params = deploy_params(restored, dict(policy, require_digest=False, create_namespace=True), timeout)
    return params


def versions_of(states: Optional[Dict[str, Any]]) -> str:
    """`chat=1.0.0, embed=absent`: a site's models in one short phrase (pure)."""
    if not states:
        return "-"
    return ", ".join("%s=%s" % (name, (states[name] or {}).get("version") or "-")
                     if (states[name] or {}).get("exists", True) else "%s=absent" % name for name in sorted(states))


def should_roll_back(policy: Dict[str, Any]) -> bool:
    """A failed site is rolled back unless the policy halts in place (pure)."""
    return policy.get("on_failure", "rollback_site") != "halt"


class SiteStep:
    """Runs one site's rollout (or rollback) and keeps the steps it took for the result."""

    def __init__(self, client: Any, site: str, models: List[Dict[str, Any]], policy: Dict[str, Any],
                 journal: Optional[str], host: Optional[str] = None, check_mode: bool = False,
                 prometheus_url: Optional[str] = None, progress: Optional[Callable[[str], None]] = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), requester: Any = None,
                 holder: Optional[str] = None):
        self.client = client
        self.site = site
        self.models = models
        self.policy = policy
        self.journal = journal
        self.host = host
        self.check_mode = check_mode
        self.prometheus_url = prometheus_url
        self.progress = progress
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.requester = requester
        self.steps: List[Dict[str, Any]] = []
        self.changed = False
        self.objects: List[Dict[str, Any]] = []
        self.diff: List[Dict[str, Any]] = []
        # Namespaces known to exist: checked (or created) once per step, by the leases or the first apply.
        self.namespaces: set = set()
        self.leases = Leases(client, site, models, holder or run_identity("adhoc"),
                             int(policy.get("lease_seconds") or DEFAULT_LEASE_SECONDS), now=now)

    # -- bookkeeping ----------------------------------------------------------------------
    def record(self, event: Dict[str, Any]) -> None:
        """Apply one event to the site's journal entry (never in check mode)."""
        if self.check_mode or not self.journal:
            return
        now = self.now()

        def mutate(current: Optional[Dict[str, Any]]) -> Dict[str, Any]:
            if current is None:
                raise JournalError("update", "journal %s" % self.journal, "it does not exist; create it first",
                                   site=self.site)
            return apply_event(current, self.site, event, now)

        journal_store.update(self.journal, mutate)

    def step(self, name: str, started: float, ok: bool, detail: str) -> Dict[str, Any]:
        entry = {"name": name, "ok": ok, "seconds": round(self.clock() - started, 3), "detail": detail}
        self.steps.append(entry)
        return entry

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def bounded(self, deadline: float) -> Any:
        bound = getattr(self.client, "bounded", None)
        return bound(deadline) if bound else self.client

    # -- the parts ------------------------------------------------------------------------
    def apply_all(self, params_list: List[Dict[str, Any]], deadline: float, step: str) -> None:
        """Apply (or remove) every model, APPLY_WORKERS at a time: each apply is a few round trips,
        and on a distant site round trips, not models, cost the time. Raises StepFailed naming the
        first model that failed and its cause."""
        client = self.bounded(deadline)
        started = self.clock()
        namespaces = self.namespaces

        def one(params: Dict[str, Any]) -> Any:
            params = dict(params, wait_timeout=max(0.0, deadline - self.clock()))
            try:
                return DeployRunner(client, params, self.check_mode, clock=self.clock, namespaces=namespaces).run()
            except K8sError as e:
                return e

        # Unless the leases checked the namespaces already, the first model goes alone: it checks
        # (or creates) the namespace once for all the others.
        solo = params_list[:1] if params_list and params_list[0]["namespace"] not in namespaces else []
        outcomes: List[Any] = [one(params) for params in solo]
        with ThreadPoolExecutor(max_workers=max(1, min(APPLY_WORKERS, len(params_list)))) as pool:
            outcomes += list(pool.map(one, params_list[len(solo):]))
        failed = [e for e in outcomes if isinstance(e, K8sError)]
        results = [r for r in outcomes if not isinstance(r, K8sError)]
        for result in results:
            self.changed = self.changed or result["changed"]
            self.objects.extend(result["objects"])
            self.diff.extend(result.get("diff") or [])
        if failed:
            self.step(step, started, False, str(failed[0]))
            raise StepFailed(step, str(failed[0]), failed[0].result.get("diagnosis"))
        self.step(step, started, True, ", ".join("%s %s" % (r["name"], "changed" if r["changed"] else "unchanged")
                                                 for r in results))

    def wait_all(self, params_list: List[Dict[str, Any]], deadline: float, step: str) -> Dict[str, Any]:
        refs = [(p["namespace"], p["name"]) for p in params_list if p.get("state", "present") == "present"]
        started = self.clock()
        try:
            states = wait_for_all(self.bounded(deadline), refs, deadline, sleep=0.5, progress=self.progress,
                                  clock=self.clock, pause=self.sleep)
        except K8sError as e:
            self.step(step, started, False, e.cause)
            raise StepFailed(step, str(e), e.result.get("diagnosis")) from e
        detail = ", ".join("%s %d/%d ready" % (name, s["ready_replicas"], s["replicas"])
                           for name, s in sorted(states.items()))
        self.step(step, started, True, detail or "nothing to wait for")
        return states

    def read(self, deadline: Optional[float] = None) -> Dict[str, Dict[str, Any]]:
        client = self.bounded(deadline) if deadline is not None else self.client
        return {name: snapshot(d) for name, d in live_deployments(client, self.models).items()}

    def gates(self, states: Dict[str, Any], deadline: float) -> List[Dict[str, Any]]:
        gates = [{"name": "available", "ok": True,
                  "detail": ", ".join("%s %d/%d ready" % (n, s["ready_replicas"], s["replicas"])
                                      for n, s in sorted(states.items()))}]
        timeout = float(self.policy["wait_timeout"])
        with_health = [m for m in self.models if (m.get("health") or {}).get("endpoint")]
        if with_health:
            gates.append(self.gate("endpoint", lambda: endpoint_gate(
                self.site, with_health, timeout, deadline, clock=self.clock, sleep=self.sleep,
                requester=self.requester)))
        soak = self.policy.get("soak_seconds") or 0
        if soak:
            gates.append(self.gate("soak", lambda: self.soak(soak, deadline + soak)))
        rule = self.policy.get("prometheus")
        if rule:
            gates.append(self.gate("prometheus", lambda: prometheus_gate(
                self.site, rule, self.prometheus_url, deadline + soak, clock=self.clock, requester=self.requester,
                sleep=self.sleep)))
        return gates

    def gate(self, name: str, run: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
        started = self.clock()
        try:
            result = run()
        except GateFailed as e:
            self.step("gate " + name, started, False, e.cause)
            raise StepFailed("gate " + name, e.cause) from e
        except K8sError as e:
            self.step("gate " + name, started, False, str(e))
            raise StepFailed("gate " + name, str(e)) from e
        self.step("gate " + name, started, True, result.get("detail") or "")
        return result

    def soak(self, seconds: float, deadline: float) -> Dict[str, Any]:
        """Wait, then the site must still run the release with every replica ready."""
        end = self.clock() + seconds
        while self.clock() < end:
            left = end - self.clock()
            self.say("%s: soaking, %.0fs left before the re-check" % (self.site, left))
            self.sleep(min(10.0, left))
        current = self.read(deadline)
        off = [m["name"] for m in self.models if not model_at_desired(current.get(m["name"]), m)]
        if off:
            raise GateFailed("soak", "after %ss no longer at the release: %s (%s)" % (
                seconds, ", ".join(off), versions_of({n: current[n] for n in off})))
        return {"name": "soak", "ok": True, "detail": "%ss, still %s" % (seconds, versions_of(current))}

    # -- the sequences --------------------------------------------------------------------
    def rollout(self, before: Dict[str, Any], preflight: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Deploy, wait, gate; on failure roll back per policy. Returns the result dict.

        preflight: {started, finished} of this run's preflight of the site, journaled with the rest.
        """
        refused = self.hold()
        if refused:
            return refused
        try:
            return self._rollout(before, preflight)
        finally:
            self.leases.release()

    def hold(self) -> Optional[Dict[str, Any]]:
        """Take the site's model leases. Returns None when held, else the step's result: `held`
        (another run is changing one of these models; its journal entry is left alone) or
        `failed` (the site did not answer; nothing was changed)."""
        started = self.clock()
        leases = self.leases
        leases.client = self.bounded(self.clock() + float(self.policy["wait_timeout"]))
        try:
            if not self.check_mode:
                self.ensure_namespaces(leases.client)
            problems = leases.check() if self.check_mode else leases.acquire() or []
            if problems:
                raise StepFailed("lease", problems[0])
        except (LeaseHeld, StepFailed) as e:
            cause = e.cause if isinstance(e, StepFailed) else str(e)
            self.step("lease", started, False, cause)
            self.say(cause)
            return self.result("held", cause)
        except K8sError as e:
            cause = "lease failed: %s" % e
            self.step("lease", started, False, str(e))
            self.record({"status": "failed", "diagnosis": cause})
            return self.result("failed", cause)
        finally:
            leases.client = self.client
        detail = "; ".join(leases.took_over) or "%d model lease(s) held" % len(self.models)
        self.step("lease", started, True, detail)
        for note in leases.took_over:
            self.say("%s: %s" % (self.site, note))
            self.record({"note": note})
        return None

    def ensure_namespaces(self, client: Any) -> None:
        """The models' namespaces, checked or created (per policy) before the leases that live there:
        model_deploy's own namespace step, once per namespace."""
        timeout = float(self.policy["wait_timeout"])
        first = {}
        for model in self.models:
            first.setdefault(model["namespace"], model)
        for namespace, model in sorted(first.items()):
            if namespace in self.namespaces:
                continue
            runner = DeployRunner(client, deploy_params(model, self.policy, timeout), False, clock=self.clock,
                                  namespaces=self.namespaces)
            runner.ensure_namespace()
            self.changed = self.changed or runner.result["changed"]
            self.objects.extend(runner.result["objects"])

    def _rollout(self, before: Dict[str, Any], preflight: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        started_at = iso(self.now())
        timeout = float(self.policy["wait_timeout"])
        deadline = self.clock() + timeout
        phases: Dict[str, Any] = {"deploy": {"started": started_at}, "gate": None, "rollback": None}
        if preflight and preflight.get("started") and preflight.get("finished"):
            phases["preflight"] = {"started": preflight["started"], "finished": preflight["finished"]}
        self.record({"host": self.host, "status": "deploying", "before": before, "phases": phases})
        params = [deploy_params(m, self.policy, timeout) for m in self.models]
        gates: List[Dict[str, Any]] = []
        try:
            self.apply_all(params, deadline, "apply")
            if self.check_mode:
                return self.result("planned")
            states = self.wait_all(params, deadline, "wait")
            deployed_at = iso(self.now())
            self.record({"status": "deployed", "after": desired_by_model(self.models),
                         "phases": {"deploy": {"started": started_at, "finished": deployed_at},
                                    "gate": {"started": deployed_at}}})
            gates = self.gates(states, deadline)
        except StepFailed as failure:
            if self.leases.lost:
                return self.lost()
            return self.fail(failure, before, gates)
        if self.leases.lost:
            return self.lost()
        self.record({"status": "verified", "gates": gates, "clear_diagnosis": True,
                     "phases": {"gate": {"finished": iso(self.now())}}})
        return self.result("verified")

    def lost(self) -> Dict[str, Any]:
        """Another run took the site's leases over (this one was presumed dead): it owns the site and
        the journal entry now, so this step stops without another write."""
        cause = "lease lost: %s; this run stopped without changing anything more" % self.leases.lost
        self.say("%s: %s" % (self.site, cause))
        return self.result("held", cause)

    def fail(self, failure: StepFailed, before: Dict[str, Any], gates: List[Dict[str, Any]]) -> Dict[str, Any]:
        cause = "%s failed: %s" % (failure.step, failure.cause)
        self.say("%s: %s" % (self.site, cause))
        self.record({"status": "failed", "diagnosis": cause,
                     "gates": gates + [{"name": failure.step, "ok": False, "detail": failure.cause}]})
        if self.check_mode or not should_roll_back(self.policy):
            return self.result("failed", cause, failure.diagnosis)
        status, rollback_cause = self.restore(before, cause)
        return self.result(status, cause if rollback_cause is None else rollback_cause, failure.diagnosis)

    def rollback(self, before: Dict[str, Any]) -> Dict[str, Any]:
        """Return the site to `before` (rollback.yml, rollback_all)."""
        refused = self.hold()
        if refused:
            return refused
        try:
            status, cause = self.restore(before, None)
        finally:
            self.leases.release()
        return self.result(status, cause)

    def restore(self, before: Dict[str, Any], why: Optional[str]) -> Any:
        """(journal status, cause or None) after returning every model to `before`."""
        timeout = float(self.policy["wait_timeout"])
        deadline = self.clock() + timeout
        self.say("%s: rolling back to %s" % (self.site, versions_of(before)))
        self.record({"status": "rolling_back", "phases": {"rollback": {"started": iso(self.now())}}})
        try:
            params = [restore_params(m, self.literal_env(m, (before or {}).get(m["name"]), deadline), self.policy,
                                     timeout) for m in self.models]
            self.apply_all(params, deadline, "rollback")
            if not self.check_mode:
                self.wait_all(params, deadline, "rollback wait")
        except StepFailed as failure:
            cause = "%srollback failed: %s" % ((why + "; then ") if why else "", failure.cause)
            self.record({"status": "rollback_failed", "diagnosis": cause,
                         "phases": {"rollback": {"finished": iso(self.now())}}})
            return "rollback_failed", cause
        self.record({"status": "rolled_back", "after": before,
                     "phases": {"rollback": {"finished": iso(self.now())}}})
        return "rolled_back", why

    def literal_env(self, model: Dict[str, Any], previous: Optional[Dict[str, Any]],
                    deadline: float) -> Optional[Dict[str, Any]]:
        """previous with its literal env values back, from the Deployment's ReplicaSets: the journal
        keeps only their fingerprints."""
        if not previous or not unresolved(previous.get("env")):
            return previous
        started = self.clock()
        selector = ",".join("%s=%s" % kv for kv in sorted(selector_labels(model["name"]).items()))
        try:
            replica_sets = self.bounded(deadline).list("ReplicaSet", model["namespace"], label_selector=selector)
            return dict(previous, env=resolve(previous["env"], replica_sets, CONTAINER_NAME))
        except (K8sError, ValueError) as e:
            cause = "model %s: %s" % (model["name"], e)
            self.step("rollback", started, False, cause)
            raise StepFailed("rollback", cause) from e

    def result(self, status: str, cause: Optional[str] = None,
               diagnosis: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result: Dict[str, Any] = {"site": self.site, "changed": self.changed, "status": status,
                                  "steps": self.steps, "objects": self.objects, "diff": self.diff,
                                  "site_failed": cause is not None, "cause": cause, "diagnosis": diagnosis}
        try:
            current = self.read(self.clock() + 10.0)
            result.update(reachable=True, current=current,
                          at_release=all(model_at_desired(current.get(m["name"]), m) for m in self.models))
        except K8sError as e:
            result.update(reachable=False, current={}, at_release=False, read_error=str(e))
        result["running"] = versions_of(result["current"]) if result["reachable"] else "unreachable"
        return result


def entry_before(journal: Optional[Dict[str, Any]], site: str, statuses: Optional[List[str]]) -> Optional[Dict[str, Any]]:
    """What to roll a site back to from the journal, or None when the site is not to be rolled back (pure).

    statuses: roll back only a site whose journal status is one of these (rollback_all takes the
    sites that got or were getting the release); None: any site the release touched.
    """
    entry = ((journal or {}).get("sites") or {}).get(site) or {}
    if entry.get("before") is None:
        return None
    if statuses is not None and entry.get("status", "pending") not in statuses:
        return None
    return entry["before"]


def run_site(client: Any, params: Dict[str, Any], check_mode: bool,
             progress: Optional[Callable[[str], None]] = None) -> Dict[str, Any]:
    """The rollout_site action's whole work, for the action plugin and the module alike."""
    step = SiteStep(client, params["site"], params["models"], params["policy"], params.get("journal"),
                    host=params.get("inventory_host"), check_mode=check_mode, prometheus_url=params.get("prometheus_url"),
                    progress=progress, holder=run_identity(params.get("release") or "adhoc"))
    action = params.get("action", "deploy")
    if action == "deploy":
        return step.rollout(params.get("before") or {}, params.get("preflight_timing"))
    if action == "read":
        entry = ((journal_store.load(params["journal"]) if params.get("journal") else None) or {}).get("sites", {})
        return step.result((entry.get(params["site"]) or {}).get("status", "pending"))
    before = params.get("before")
    if before is None:
        before = entry_before(journal_store.load(params["journal"]) if params.get("journal") else None,
                              params["site"], params.get("only_statuses"))
    if before is None:
        return dict(step.result("untouched"),
                    skipped_reason="the release never changed this site (or not in the statuses asked for)")
    return step.rollback(before)
