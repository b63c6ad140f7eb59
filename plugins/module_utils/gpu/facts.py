# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble ansible_facts.nvidia_gpu from the parsed pieces (pure)."""

from __future__ import annotations


def product_label(name: str | None) -> str | None:
    # The value GPU Feature Discovery puts in nvidia.com/gpu.product: the NVML name
    # with spaces replaced by dashes (gpu-feature-discovery, mig-strategy.go).
    return None if not name else name.replace(" ", "-")


def _merge(csv_gpu: dict, xml_gpu: dict | None) -> dict:
    gpu = dict(csv_gpu)
    gpu["product_label"] = product_label(gpu.get("name"))
    gpu["mig_devices"] = None
    if xml_gpu:
        gpu["mig_devices"] = xml_gpu.get("mig_devices")
        for key, value in xml_gpu.items():
            if gpu.get(key) is None and value is not None:
                gpu[key] = value
    return gpu


def empty_facts(reason: dict, fabric_manager: dict | None = None, nvswitches: list[str] | None = None) -> dict:
    facts = {
        "gpu_count": 0,
        "gpus": [],
        "products": [],
        "product_labels": [],
        "driver_version": None,
        "cuda_version": None,
        "mig_enabled": False,
        "fabric_manager": fabric_manager,
        "nvswitch_count": None if nvswitches is None else len(nvswitches),
        "notes": [],
    }
    facts.update(reason)
    return facts


def build_facts(
    csv_gpus: list[dict],
    xml: dict | None = None,
    fabric_manager: dict | None = None,
    nvswitches: list[str] | None = None,
    notes: list[str] | None = None,
) -> dict:
    """Facts for a host on which nvidia-smi answered the CSV query."""
    if not csv_gpus:
        return empty_facts({"reason_code": "no_devices", "reason": "nvidia-smi listed no GPU"}, fabric_manager, nvswitches)
    by_bus = {g["pci_bus_id"]: g for g in (xml or {}).get("gpus", []) if g.get("pci_bus_id")}
    gpus = [_merge(g, by_bus.get(g.get("pci_bus_id"))) for g in sorted(csv_gpus, key=lambda g: (g.get("index") is None, g.get("index")))]
    drivers = sorted({g["driver_version"] for g in gpus if g.get("driver_version")})
    names = sorted({g["name"] for g in gpus if g.get("name")})
    facts = empty_facts({"reason_code": None, "reason": None}, fabric_manager, nvswitches)
    facts.update({
        "gpu_count": len(gpus),
        "gpus": gpus,
        "products": names,
        "product_labels": [product_label(n) for n in names],
        # One driver serves every GPU of a host; the first is the host's.
        "driver_version": drivers[0] if drivers else (xml or {}).get("driver_version"),
        "cuda_version": (xml or {}).get("cuda_version"),
        "mig_enabled": any(g.get("mig_mode") for g in gpus),
        "notes": list(notes or []),
    })
    return facts
