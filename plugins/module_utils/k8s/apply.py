# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side apply that knows whether it changed anything.

The API server is the only party that can say what an apply would do (defaulting,
quantity normalisation, other field managers), so `changed` comes from comparing a
server-side dry-run apply with the live object, never from comparing our manifest
with the live object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

# Bookkeeping the server updates on every write; not part of what we manage.
VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid")


@dataclass
class ApplyResult:
    kind: str
    name: str
    namespace: Optional[str]
    changed: bool
    created: bool
    before: Dict[str, Any] = field(default_factory=dict)
    after: Dict[str, Any] = field(default_factory=dict)
    live: Optional[Dict[str, Any]] = None
    result: Optional[Dict[str, Any]] = None


def comparable(obj: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """metadata (minus bookkeeping) and spec: what an apply can change."""
    if not obj:
        return {}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in VOLATILE_METADATA}
    return {"metadata": metadata, "spec": obj.get("spec")}


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def project(obj: Any, shape: Any) -> Any:
    """The part of `obj` covered by `shape` (our manifest): the fields we manage.

    Lists of named items (containers, ports, env) are matched by name so a reordered
    list on the server still lines up with ours.
    """
    if isinstance(shape, dict):
        if not isinstance(obj, dict):
            return obj
        return {k: project(obj[k], v) for k, v in shape.items() if k in obj}
    if isinstance(shape, list) and isinstance(obj, list):
        if _named(shape) and _named(obj):
            by_name = {i["name"]: i for i in obj}
            shapes = {i["name"]: i for i in shape}
            return [project(by_name[n], shapes[n]) if n in shapes else by_name[n] for n in by_name]
        return [project(o, s) for o, s in zip(obj, shape)] + obj[len(shape):]
    return obj


# Marks "the caller has not read the live object": None already means "it does not exist".
NOT_READ: Any = object()


def apply_object(client: Any, manifest: Dict[str, Any], field_manager: str, check_mode: bool,
                 force: bool = True, live: Any = NOT_READ) -> ApplyResult:
    """Decide with a dry run, then apply for real only when something changes and not in check mode;
    an object that does not exist yet is applied without the dry run.

    live: the object as the caller just read it (saves a round trip), else it is read here.
    """
    meta = manifest["metadata"]
    kind, name, namespace = manifest["kind"], meta["name"], meta.get("namespace")
    if live is NOT_READ:
        live = client.get(kind, name, namespace)
    if live is None and not check_mode:
        # A new object changes whatever a dry run would say: apply it at once (one round trip per
        # object, not two; with 50 new models on a distant site that is seconds).
        predicted = result = client.apply(manifest, field_manager, force=force)
        changed = True
    else:
        predicted = client.apply(manifest, field_manager, force=force, dry_run=True)
        changed = live is None or comparable(live) != comparable(predicted)
        result = predicted
        if changed and not check_mode:
            result = client.apply(manifest, field_manager, force=force)
    return ApplyResult(
        kind=kind, name=name, namespace=namespace, changed=changed, created=live is None,
        before=project(live, manifest) if live else {},
        after=project(predicted, manifest),
        live=live, result=result,
    )
