# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A model server's environment: how a release writes it, and how a read of it is kept.

The one place env entries are built and read, so no literal value read from a cluster reaches a
journal, a report or a task result. What a read keeps of each entry:
- `valueFrom` (a Secret or ConfigMap key, a field ref) whole, so a rollback restores it exactly;
- a literal value only as a fingerprint (`{"sha256": ...}`): a rollback takes the value back from
  the Deployment's own ReplicaSets, which Kubernetes keeps for exactly that (revisionHistoryLimit).
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List, Optional

FINGERPRINT_KEY = "sha256"


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def value_from(value: Any) -> Optional[Dict[str, Any]]:
    """The `valueFrom` of a release or snapshot value, or None for a literal (pure).

    Accepts the Kubernetes shape (`{valueFrom: {secretKeyRef: {name, key}}}`) and the release's
    short form for a Secret key (`{secret: NAME, key: KEY}`).
    """
    if not isinstance(value, dict):
        return None
    if "valueFrom" in value:
        return value["valueFrom"]
    if "secret" in value:
        return {"secretKeyRef": {"name": value["secret"], "key": value["key"]}}
    return None


def value_problem(value: Any) -> Optional[str]:
    """Why a release env value is not one we can write, or None (pure)."""
    if isinstance(value, str):
        return None
    if isinstance(value, dict) and set(value) == {"secret", "key"} and all(
            isinstance(value[k], str) and value[k] for k in ("secret", "key")):
        return None
    if isinstance(value, dict) and set(value) == {"valueFrom"} and isinstance(value["valueFrom"], dict) \
            and len(value["valueFrom"]) == 1:
        return None
    return ("must be a quoted string, {secret: NAME, key: KEY} for a Secret's key, or {valueFrom: {...}} "
            "as in the Kubernetes API")


def entries(env: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The container's `env` list for a release's mapping, in name order (pure)."""
    result = []
    for name, value in sorted((env or {}).items()):
        source = value_from(value)
        if source is not None:
            result.append({"name": name, "valueFrom": source})
        elif isinstance(value, dict) and FINGERPRINT_KEY in value:
            raise ValueError("env %s holds a fingerprint, not a value: resolve it first" % name)
        else:
            result.append({"name": name, "value": str(value)})
    return result


def kept(value: Any) -> Any:
    """What a journal, a report or a result may keep of one env value (pure)."""
    source = value_from(value)
    if source is not None:
        return {"valueFrom": source}
    if isinstance(value, dict) and FINGERPRINT_KEY in value:
        return value
    return {FINGERPRINT_KEY: fingerprint(str(value))}


def snapshot(container_env: Optional[List[Dict[str, Any]]]) -> Dict[str, Any]:
    """A live container's env as kept (pure)."""
    result = {}
    for item in container_env or []:
        if "name" not in item:
            continue
        result[item["name"]] = ({"valueFrom": item["valueFrom"]} if "valueFrom" in item
                                else kept(item.get("value", "")))
    return result


def redacted_entries(container_env: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A container's env list with each literal value replaced by its fingerprint, order and
    valueFrom kept: what a printed diff may show (pure)."""
    return [dict({k: v for k, v in item.items() if k != "value"}, **kept(item["value"])) if "value" in item else item
            for item in container_env]


def redacted(env: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """A release's env mapping as kept (pure)."""
    return {name: kept(value) for name, value in (env or {}).items()}


def unresolved(env: Optional[Dict[str, Any]]) -> List[str]:
    return sorted(name for name, value in (env or {}).items()
                  if isinstance(value, dict) and FINGERPRINT_KEY in value)


def resolve(env: Dict[str, Any], replica_sets: List[Dict[str, Any]], container: str) -> Dict[str, Any]:
    """env with every fingerprint replaced by the literal that a ReplicaSet of the Deployment still
    carries (pure). Raises ValueError naming the variables no ReplicaSet holds any more."""
    literals: Dict[str, Dict[str, str]] = {}
    for rs in replica_sets:
        pod = (((rs.get("spec") or {}).get("template") or {}).get("spec") or {})
        for c in pod.get("containers") or []:
            if c.get("name") != container:
                continue
            for item in c.get("env") or []:
                if "value" in item and "name" in item:
                    literals.setdefault(item["name"], {})[fingerprint(item["value"])] = item["value"]
    result, missing = {}, []
    for name, value in env.items():
        if isinstance(value, dict) and FINGERPRINT_KEY in value:
            found = literals.get(name, {}).get(value[FINGERPRINT_KEY])
            if found is None:
                missing.append(name)
                continue
            result[name] = found
        else:
            result[name] = value
    if missing:
        raise ValueError("the value of env %s before the release is kept only as a fingerprint and no "
                         "ReplicaSet of the Deployment holds it any more" % ", ".join(sorted(missing)))
    return result
