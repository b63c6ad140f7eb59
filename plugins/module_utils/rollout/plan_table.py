# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout plan as an operator reads it before anything changes: per site and model, the
batch, from -> to, replicas, and the GPUs the rolling update needs against those free (pure)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import model_at_desired


def _free(capacity: Dict[str, Dict[str, int]], product: Optional[str]) -> int:
    return sum(slot.get("free", 0) for name, slot in (capacity or {}).items() if product is None or name == product)


def plan_rows(plan: Dict[str, Any], site_models: Dict[str, List[Dict[str, Any]]],
              preflights: Dict[str, Dict[str, Any]], surge: int) -> List[Dict[str, Any]]:
    """One row per site and model, in rollout order."""
    rows = []
    for batch in plan.get("batches") or []:
        for site in batch["sites"]:
            pre = preflights.get(site) or {}
            current = pre.get("current") or {}
            skip = ((pre.get("decision") or {}).get("action") == "skip")
            for model in site_models.get(site) or []:
                now = current.get(model["name"]) or {"exists": False}
                done = skip or model_at_desired(now, model)
                rows.append({
                    "site": site, "batch": batch["label"], "model": model["name"],
                    "from": (now.get("version") or "-") if now.get("exists") else "absent", "to": model["version"],
                    "action": "done" if done else ("update" if now.get("exists") else "create"),
                    "replicas": model["replicas"],
                    "gpus_needed": 0 if done else (model["replicas"] + surge) * model["gpus"],
                    "gpus_free": _free(pre.get("capacity") or {}, model.get("gpu_product")),
                })
    return rows


def render(rows: List[Dict[str, Any]]) -> List[str]:
    """Fixed-width lines under 120 columns; the site and batch are printed once per site."""
    header = ("SITE", "BATCH", "MODEL", "FROM -> TO", "ACTION", "REPLICAS", "GPUS NEED/FREE")
    table = [header]
    last = None
    for r in rows:
        first = r["site"] != last
        last = r["site"]
        table.append((r["site"][:16] if first else "", r["batch"] if first else "", r["model"][:28],
                      ("%s -> %s" % (r["from"], r["to"]))[:34], r["action"], str(r["replicas"]),
                      "%d/%d" % (r["gpus_needed"], r["gpus_free"])))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
