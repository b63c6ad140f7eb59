# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the k3s role: node labels and taints of joined nodes, and the one-minor upgrade rule."""

from __future__ import annotations

import json
import re

from ansible.errors import AnsibleFilterError

# k3s applies node-label / node-taint only when a node registers; the role keeps joined nodes in
# line through the API. These annotations record what the role set, so that a label or taint
# dropped from the inventory is removed only when the role had set it (never one of kubelet's,
# the node controller's or an operator's).
MANAGED_LABELS_ANNOTATION = "gpufleet.io/k3s-managed-labels"
MANAGED_TAINTS_ANNOTATION = "gpufleet.io/k3s-managed-taints"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_TAINT_RE = re.compile(r"^(?P<key>[^=:\s]+)(?:=(?P<value>[^:\s]*))?:(?P<effect>[A-Za-z]+)$")
_VERSION_RE = re.compile(r"^v?(?P<major>[0-9]+)\.(?P<minor>[0-9]+)\.[0-9]+")


def k3s_taint(text):
    """A node-taint string ("key=value:Effect" or "key:Effect", as k3s and kubectl write it) as a Taint."""
    match = _TAINT_RE.match(str(text).strip())
    if not match or match.group("effect") not in TAINT_EFFECTS:
        raise AnsibleFilterError("k3s: node taint %r is not key[=value]:Effect with Effect one of %s"
                                 % (text, ", ".join(TAINT_EFFECTS)))
    taint = {"key": match.group("key"), "effect": match.group("effect")}
    if match.group("value"):
        taint["value"] = match.group("value")
    return taint


def _taint_id(taint):
    # The API server keeps at most one taint per key and effect.
    return "%s:%s" % (taint["key"], taint["effect"])


def _managed(annotations, name):
    try:
        value = json.loads(annotations.get(name) or "[]")
    except ValueError:
        value = []
    return set(value) if isinstance(value, list) else set()


def _pointer(*parts):
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _same_taint(a, b):
    return (a.get("key"), a.get("value") or "", a.get("effect")) == (b.get("key"), b.get("value") or "", b.get("effect"))


def k3s_node_metadata_patch(node, labels, taints):
    """RFC 6902 operations that bring a Node's labels and taints to the wanted ones; [] when they match.

    node: the Node as k8s_info returns it. labels: {name: value}. taints: node-taint strings.
    Labels and taints the role set before (its annotations) and no longer wants are removed;
    everything else on the node is kept. The taint list is replaced whole, guarded by a "test"
    of the list that was read, so a taint another writer added meanwhile fails the patch instead
    of being lost.
    """
    metadata = node.get("metadata") or {}
    current_labels = metadata.get("labels") or {}
    annotations = metadata.get("annotations") or {}
    current_taints = (node.get("spec") or {}).get("taints") or []
    wanted_labels = {str(k): str(v) for k, v in (labels or {}).items()}
    wanted_taints = [k3s_taint(t) for t in taints or []]
    wanted_ids = {_taint_id(t) for t in wanted_taints}
    if len(wanted_ids) != len(wanted_taints):
        raise AnsibleFilterError("k3s: node taints %s repeat a key and effect" % list(taints))

    ops = []
    if not current_labels and wanted_labels:
        ops.append({"op": "add", "path": "/metadata/labels", "value": {}})
    for name in sorted(_managed(annotations, MANAGED_LABELS_ANNOTATION) - set(wanted_labels)):
        if name in current_labels:
            ops.append({"op": "remove", "path": _pointer("metadata", "labels", name)})
    for name, value in sorted(wanted_labels.items()):
        if current_labels.get(name) != value:
            ops.append({"op": "add", "path": _pointer("metadata", "labels", name), "value": value})

    dropped = _managed(annotations, MANAGED_TAINTS_ANNOTATION) - wanted_ids
    by_id = {_taint_id(t): t for t in wanted_taints}
    new_taints, placed = [], set()
    for taint in current_taints:
        ident = _taint_id(taint)
        if ident in by_id:
            new_taints.append(taint if _same_taint(taint, by_id[ident]) else by_id[ident])
            placed.add(ident)
        elif ident not in dropped:
            new_taints.append(taint)
    new_taints += [t for t in wanted_taints if _taint_id(t) not in placed]
    if len(new_taints) != len(current_taints) or not all(map(_same_taint, new_taints, current_taints)):
        if "spec" not in node:
            ops.append({"op": "add", "path": "/spec", "value": {}})
        elif "taints" in (node.get("spec") or {}):
            ops.append({"op": "test", "path": "/spec/taints", "value": current_taints})
        ops.append({"op": "add", "path": "/spec/taints", "value": new_taints} if new_taints
                   else {"op": "remove", "path": "/spec/taints"})

    wanted_annotations = {
        MANAGED_LABELS_ANNOTATION: json.dumps(sorted(wanted_labels)),
        MANAGED_TAINTS_ANNOTATION: json.dumps(sorted(wanted_ids)),
    }
    if ops or any(annotations.get(k) != v for k, v in wanted_annotations.items()):
        if not annotations:
            ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
        for name, value in sorted(wanted_annotations.items()):
            if annotations.get(name) != value:
                ops.append({"op": "add", "path": _pointer("metadata", "annotations", name), "value": value})
    return ops


def k3s_minor_skip(current, target):
    """The refusal of an upgrade that skips a k3s minor version, or "" when the step is allowed.

    k3s's upgrade documentation: move one minor version at a time (v1.31 -> v1.32 -> v1.33).
    A version that is not a k3s release (an unknown node) is not refused here.
    """
    now, then = _VERSION_RE.match(str(current or "")), _VERSION_RE.match(str(target or ""))
    if not now or not then:
        return ""
    if int(then.group("major")) != int(now.group("major")):
        return "from %s to %s changes the major version" % (current, target)
    step = int(then.group("minor")) - int(now.group("minor"))
    if step > 1:
        return ("from %s to %s skips a minor version; k3s upgrades one minor at a time (upgrade to v%s.%d first)"
                % (current, target, now.group("major"), int(now.group("minor")) + 1))
    return ""


class FilterModule:
    def filters(self):
        return {"k3s_node_metadata_patch": k3s_node_metadata_patch, "k3s_minor_skip": k3s_minor_skip,
                "k3s_taint": k3s_taint}
