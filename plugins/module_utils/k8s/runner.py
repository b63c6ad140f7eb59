# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""model_deploy's flow: build, decide with a dry run, apply unless check mode, wait, report."""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Dict, List, Optional, Set

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.apply import ApplyResult, apply_object
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import object_ref
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import redacted_entries
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError, PolicyError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    MANAGED_BY, build_manifests, build_namespace)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import foreign_manager, previous
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.waiter import rollout_state, wait_for_rollout


def planned(manifest: Dict[str, Any]) -> ApplyResult:
    """Check mode in a namespace that does not exist yet: the server cannot dry-run, so we report the manifest."""
    meta = manifest["metadata"]
    return ApplyResult(kind=manifest["kind"], name=meta["name"], namespace=meta.get("namespace"),
                       changed=True, created=True, before={}, after=manifest, result=manifest)


def object_summary(r: ApplyResult) -> Dict[str, Any]:
    return {"kind": r.kind, "name": r.name, "namespace": r.namespace, "changed": r.changed, "created": r.created}


def diff_entries(results: List[ApplyResult]) -> List[Dict[str, Any]]:
    return [{"before_header": object_ref(r.kind, r.name, r.namespace), "after_header": object_ref(r.kind, r.name, r.namespace),
             "before": without_env_values(r.before), "after": without_env_values(r.after)} for r in results if r.changed]


def without_env_values(obj: Any) -> Any:
    """A diff side with each container's literal env values replaced by fingerprints: a diff is
    printed, and a changed value still shows as a changed fingerprint."""
    containers = ((((obj or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") \
        if isinstance(obj, dict) else None
    if not containers:
        return obj
    result = copy.deepcopy(obj)
    for container in result["spec"]["template"]["spec"]["containers"]:
        if container.get("env"):
            container["env"] = redacted_entries(container["env"])
    return result


class DeployRunner:
    """Holds the partial result so a failure at any step still reports what was done."""

    def __init__(self, client: Any, params: Dict[str, Any], check_mode: bool,
                 clock: Callable[[], float] = time.monotonic, namespaces: Optional[Set[str]] = None):
        self.client = client
        # Namespaces known to exist, shared by the runners of one site step: one check, not one per model.
        self.namespaces = namespaces if namespaces is not None else set()
        self.params = params
        self.check_mode = check_mode
        self.clock = clock
        self.started = clock()
        self.site = client.site
        self.ref = object_ref("Deployment", params["name"], params["namespace"])
        self.result: Dict[str, Any] = {
            "changed": False, "site": self.site, "name": params["name"], "namespace": params["namespace"],
            "state": params.get("state", "present"), "previous": None, "objects": [], "diff": [],
            "rollout": None, "diagnosis": None,
        }

    def elapsed(self) -> float:
        return round(self.clock() - self.started, 3)

    def run(self) -> Dict[str, Any]:
        try:
            if self.params.get("state", "present") == "absent":
                self.remove()
            else:
                self.deploy()
        except K8sError as e:
            # Keep what was already done and add the diagnosis the error carries.
            self.result["elapsed"] = self.elapsed()
            for key, value in e.result.items():
                if key == "rollout":
                    self.result.update(self.flatten(value))
                self.result[key] = value
            e.result = self.result
            raise
        self.result["elapsed"] = self.elapsed()
        return self.result

    def ensure_namespace(self) -> bool:
        """True when the namespace exists (or was created); False in check mode when it would be."""
        namespace = self.params["namespace"]
        if namespace in self.namespaces or self.client.get("Namespace", namespace) is not None:
            self.namespaces.add(namespace)
            return True
        if not self.params.get("create_namespace"):
            raise PolicyError("deploy", self.ref, self.site,
                              "namespace %s does not exist; create it or set create_namespace: true" % namespace)
        if self.check_mode:
            self.record([planned(build_namespace(namespace))])
            return False
        self.record([apply_object(self.client, build_namespace(namespace), self.params["field_manager"], False)])
        self.namespaces.add(namespace)
        return True

    def record(self, results: List[ApplyResult]) -> None:
        self.result["objects"].extend(object_summary(r) for r in results)
        self.result["diff"].extend(diff_entries(results))
        self.result["changed"] = self.result["changed"] or any(r.changed for r in results)

    def refuse_foreign(self, kind: str, obj: Optional[Dict[str, Any]], verb: str) -> None:
        """Only what this collection created is changed or removed, unless the task says adopt."""
        manager = foreign_manager(obj)
        if manager and not self.params.get("adopt"):
            raise PolicyError(verb, object_ref(kind, self.params["name"], self.params["namespace"]), self.site,
                              "it exists and is not managed by %s (it is managed by %s); refusing to %s it - "
                              "set adopt: true to take it over" % (MANAGED_BY, manager, verb))

    def deploy(self) -> None:
        manifests = build_manifests(self.params, self.site)
        live = self.client.get("Deployment", self.params["name"], self.params["namespace"])
        self.refuse_foreign("Deployment", live, "deploy")
        self.result["previous"] = previous(live)
        self.result.update(model_version=str(self.params["model_version"]), image=self.params["image"])
        if not self.ensure_namespace():
            self.record([planned(m) for m in manifests.values()])
            return
        results = [apply_object(self.client, m, self.params["field_manager"], self.check_mode,
                                force=self.params.get("force_conflicts", True),
                                **({"live": live} if m["kind"] == "Deployment" else {}))
                   for m in manifests.values()]
        self.record(results)
        deployment = results[0].result
        self.result.update(self.flatten(rollout_state(deployment)))
        if self.params.get("wait") and not self.check_mode:
            state = wait_for_rollout(self.client, self.params["name"], self.params["namespace"],
                                     timeout=max(0.0, self.params["wait_timeout"] - self.elapsed()),
                                     sleep=self.params.get("wait_sleep", 1))
            self.result.update(self.flatten(state))

    def flatten(self, state: Dict[str, Any]) -> Dict[str, Any]:
        """Top-level copies of the counters playbooks test most, plus the whole state under `rollout`."""
        return {"rollout": state, "revision": state.get("revision"), "replicas": state.get("replicas"),
                "ready_replicas": state.get("ready_replicas"), "updated_replicas": state.get("updated_replicas"),
                "available_replicas": state.get("available_replicas"),
                "rollout_complete": bool(state.get("complete"))}

    def remove(self) -> None:
        name, namespace = self.params["name"], self.params["namespace"]
        live = self.client.get("Deployment", name, namespace)
        self.result["previous"] = previous(live)
        kinds = ("NetworkPolicy", "Service", "Deployment") if self.params.get("network_policy") else ("Service", "Deployment")
        existing = [(kind, self.client.get(kind, name, namespace)) for kind in kinds]
        existing = [(kind, obj) for kind, obj in existing if obj is not None]
        for kind, obj in existing:
            self.refuse_foreign(kind, obj, "delete")
        for kind, obj in existing:
            self.result["objects"].append({"kind": kind, "name": name, "namespace": namespace,
                                           "changed": True, "created": False})
            self.result["diff"].append({"before_header": object_ref(kind, name, namespace), "after_header": "(absent)",
                                        "before": {"metadata": {"name": name, "namespace": namespace,
                                                                "labels": (obj.get("metadata") or {}).get("labels")}},
                                        "after": {}})
        self.result["changed"] = bool(existing)
        if self.check_mode or not existing:
            return
        for kind, _obj in existing:
            self.client.delete(kind, name, namespace)
        if self.params.get("wait"):
            self.wait_gone()

    def wait_gone(self) -> None:
        name, namespace = self.params["name"], self.params["namespace"]
        deadline = self.started + self.params["wait_timeout"]
        while self.client.get("Deployment", name, namespace) is not None:
            if self.clock() >= deadline:
                raise K8sError("delete", self.ref, self.site,
                               "still present after %ss (finalizers?)" % self.params["wait_timeout"])
            time.sleep(min(self.params.get("wait_sleep", 1), max(0.05, deadline - self.clock())))
