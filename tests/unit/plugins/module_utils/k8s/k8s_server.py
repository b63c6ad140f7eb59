"""A stand-in for the API server behind a Mock client that behaves like one where the apply decision
depends on it: server-side apply removes the fields a manager applied before and applies no more,
the server fills in defaults, normalises quantities and keeps its own bookkeeping.

An echoing fake (apply returns the manifest) makes every "unchanged" test pass whatever the code
under test compares; against this one, comparing the manifest with the live object sees the
defaults as a change, and comparing only the manifest's own fields misses a removed env var.
The defaults are those kube-apiserver v1.33 fills in for apps/v1 Deployments, v1 Services and
Namespaces (recorded from the lab's dry-run applies: tests/unit/fixtures/k8s/dry_run/).
A uniquely named module rather than `conftest`, like k8s_fixtures.
"""
from __future__ import annotations

import copy
import itertools
from typing import Any, Dict, Optional
from unittest.mock import Mock

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError

_uids = itertools.count(1)


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def _key(item: Dict[str, Any]) -> Any:
    # Ports merge on containerPort/port like the real strategic merge keys; the rest on name.
    return item.get("name", item.get("containerPort", item.get("port")))


def _keyed(items: Any) -> bool:
    return isinstance(items, list) and items != [] and all(isinstance(i, dict) and _key(i) is not None for i in items)


def forget(obj: Any, before: Any, now: Any) -> Any:
    """obj without what the manager's previous apply (`before`) set and its new one (`now`) leaves out."""
    if isinstance(obj, dict) and isinstance(before, dict):
        now = now if isinstance(now, dict) else {}
        out = {}
        for k, v in obj.items():
            if k in before and k not in now:
                continue
            out[k] = forget(v, before[k], now[k]) if k in before else v
        return out
    if _keyed(obj) and _keyed(before):
        kept_now = {_key(i): i for i in (now if _keyed(now) else [])}
        was = {_key(i): i for i in before}
        return [forget(i, was[_key(i)], kept_now[_key(i)]) if _key(i) in was else i
                for i in obj if _key(i) not in was or _key(i) in kept_now]
    return obj


def merge(obj: Any, patch: Any) -> Any:
    if isinstance(obj, dict) and isinstance(patch, dict):
        out = dict(obj)
        for k, v in patch.items():
            out[k] = merge(obj[k], v) if k in obj else copy.deepcopy(v)
        return out
    if _keyed(obj) and _keyed(patch):
        have = {_key(i): i for i in obj}
        merged = [merge(have[_key(p)], p) if _key(p) in have else copy.deepcopy(p) for p in patch]
        return merged + [i for i in obj if _key(i) not in {_key(p) for p in patch}]
    return copy.deepcopy(patch)


def quantity(value: Any) -> str:
    """The server's canonical form of a resource quantity: 1 -> "1", "1000m" -> "1", "0.5" -> "500m"."""
    text = str(value)
    if text.endswith("m") and text[:-1].isdigit():
        milli = int(text[:-1])
        return str(milli // 1000) if milli % 1000 == 0 else "%dm" % milli
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number == int(number) else "%dm" % round(number * 1000)


def _default_container(c: Dict[str, Any]) -> None:
    image = c.get("image", "")
    floating = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    c.setdefault("imagePullPolicy", "Always" if floating and "@" not in image else "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    resources = c.setdefault("resources", {})
    for part in ("limits", "requests"):
        if part in resources:
            resources[part] = {k: quantity(v) for k, v in resources[part].items()}
    for port in c.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe in c:
            p = c[probe]
            for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
                p.setdefault(k, v)
            if "httpGet" in p:
                p["httpGet"].setdefault("scheme", "HTTP")
    for env in c.get("env") or []:
        if "value" in env and env["value"] == "":
            del env["value"]   # the server drops an empty value


def default(obj: Dict[str, Any]) -> Dict[str, Any]:
    obj = copy.deepcopy(obj)
    kind, spec = obj["kind"], obj.setdefault("spec", {})
    if kind == "Deployment":
        spec.setdefault("replicas", 1)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        template = spec.setdefault("template", {})
        template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        pod = template.setdefault("spec", {})
        for k, v in (("dnsPolicy", "ClusterFirst"), ("restartPolicy", "Always"), ("schedulerName", "default-scheduler"),
                     ("securityContext", {}), ("terminationGracePeriodSeconds", 30)):
            pod.setdefault(k, copy.deepcopy(v))
        for c in pod.get("containers") or []:
            _default_container(c)
    elif kind == "Service":
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    elif kind == "Namespace":
        spec.setdefault("finalizers", ["kubernetes"])
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    return obj


class ApiServer:
    """Objects by (kind, name); what each field manager applied last; a Mock client in front."""

    def __init__(self, objects: Optional[Dict[Any, Dict[str, Any]]] = None, site: str = "lab-a"):
        self.objects: Dict[Any, Dict[str, Any]] = {}
        self.applied: Dict[Any, Dict[str, Dict[str, Any]]] = {}
        self.version = 100
        for obj in (objects or {}).values():
            self.apply(obj, "kubectl-create")
        self.client = Mock(site=site)
        self.client.get.side_effect = self.get
        self.client.apply.side_effect = self.apply
        self.client.delete.side_effect = self.delete
        self.client.list.side_effect = self.list
        self.client.bounded.side_effect = lambda _deadline: self.client  # one connection, any deadline

    def get(self, kind: str, name: str, namespace: Optional[str] = None) -> Optional[Dict[str, Any]]:
        return copy.deepcopy(self.objects.get((kind, name)))

    def list(self, kind: str, namespace: Optional[str] = None, **_selectors: Any):
        return [copy.deepcopy(o) for (k, _n), o in sorted(self.objects.items())
                if k == kind and (namespace is None or o["metadata"].get("namespace") == namespace)]

    def delete(self, kind: str, name: str, namespace: Optional[str] = None) -> bool:
        self.applied.pop((kind, name), None)
        return self.objects.pop((kind, name), None) is not None

    def apply(self, obj: Dict[str, Any], field_manager: str, force: bool = True, dry_run: bool = False) -> Dict[str, Any]:
        kind, meta = obj["kind"], obj["metadata"]
        key = (kind, meta["name"])
        if kind != "Namespace" and meta.get("namespace") and ("Namespace", meta["namespace"]) not in self.objects:
            raise ApiError("apply", "%s %s/%s" % (kind, meta["namespace"], meta["name"]), "lab-a",
                           'namespaces "%s" not found' % meta["namespace"], status=404)
        live = self.objects.get(key)
        mine = {k: v for k, v in obj.items() if k != "status"}
        base = forget(live or {}, self.applied.get(key, {}).get(field_manager, {}), mine)
        result = default(merge(base, mine))
        meta_out = result["metadata"]
        if live is None:
            meta_out.update(uid="00000000-0000-4000-8000-%012d" % next(_uids), creationTimestamp="2026-12-01T00:00:00Z",
                            generation=1)
            if kind == "Deployment":
                result["status"] = {}
        else:
            meta_out.update(uid=live["metadata"]["uid"], creationTimestamp=live["metadata"]["creationTimestamp"],
                            generation=live["metadata"].get("generation", 1) + (result.get("spec") != live.get("spec")))
            if "status" in live:
                result["status"] = copy.deepcopy(live["status"])
        managers = dict(self.applied.get(key, {}), **{field_manager: mine})
        meta_out["managedFields"] = [{"manager": m, "operation": "Apply", "apiVersion": obj.get("apiVersion")}
                                     for m in sorted(managers)]
        unchanged = live is not None and _content(live) == _content(result)
        meta_out["resourceVersion"] = live["metadata"]["resourceVersion"] if unchanged else str(self.version + 1)
        if not dry_run:
            if not unchanged:
                self.version += 1
            self.objects[key] = result
            self.applied[key] = managers
        return copy.deepcopy(result)


def _content(obj: Dict[str, Any]) -> Dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "managedFields", "generation")}
    return {"metadata": meta, "spec": obj.get("spec")}
