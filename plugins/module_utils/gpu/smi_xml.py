# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nvidia-smi -q -x: CUDA version and MIG devices (pure).

The CSV query has no field for the CUDA version the driver supports, nor for
the MIG instances a GPU is split into; the XML report has both. Element names
follow NVIDIA's nvsmi_device DTD; ECC counters moved from single_bit/double_bit
(before v12) to sram_*/dram_* and later sram_uncorrectable_parity/_secded (v13).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import values


def _text(node: ET.Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    return None if found is None or found.text is None else found.text.strip()


def _ecc_uncorrected_volatile(gpu: ET.Element) -> int | None:
    volatile = gpu.find("ecc_errors/volatile")
    if volatile is None:
        return None
    names = ("dram_uncorrectable", "sram_uncorrectable", "sram_uncorrectable_parity", "sram_uncorrectable_secded")
    counts = [values.integer(_text(volatile, n)) for n in names]
    old = values.integer(_text(volatile, "double_bit/total"))
    known = [c for c in counts + [old] if c is not None]
    return sum(known) if known else None


def _mig_devices(gpu: ET.Element) -> list[dict] | None:
    container = gpu.find("mig_devices")
    if container is None:
        return None
    devices = []
    for dev in container.findall("mig_device"):
        devices.append({
            "index": values.integer(_text(dev, "index")),
            "gpu_instance_id": values.integer(_text(dev, "gpu_instance_id")),
            "compute_instance_id": values.integer(_text(dev, "compute_instance_id")),
            "memory_mib": values.integer(_text(dev, "fb_memory_usage/total")),
        })
    return devices


def parse_xml(output: str) -> dict:
    """driver_version, cuda_version and per-GPU facts from nvidia-smi -q -x.

    Raises ValueError when the output is not an nvidia_smi_log document.
    """
    try:
        root = ET.fromstring(output.strip())
    except ET.ParseError as e:
        raise ValueError("nvidia-smi -q -x output is not XML: %s" % e) from e
    if root.tag != "nvidia_smi_log":
        raise ValueError("nvidia-smi -q -x output has root <%s>, expected <nvidia_smi_log>" % root.tag)
    gpus = []
    for gpu in root.findall("gpu"):
        mig_mode = values.enabled(_text(gpu, "mig_mode/current_mig"))
        gpus.append({
            "pci_bus_id": values.pci_bus_id(gpu.get("id")),
            "name": values.text(_text(gpu, "product_name")),
            "uuid": values.text(_text(gpu, "uuid")),
            "memory_mib": values.integer(_text(gpu, "fb_memory_usage/total")),
            "persistence_mode": values.enabled(_text(gpu, "persistence_mode")),
            "mig_mode": mig_mode,
            # A MIG-enabled GPU without instances has [] devices; a GPU not in MIG mode has none at all.
            "mig_devices": _mig_devices(gpu) if mig_mode else None,
            "ecc_mode": values.enabled(_text(gpu, "ecc_mode/current_ecc")),
            "ecc_errors_uncorrected_volatile": _ecc_uncorrected_volatile(gpu),
            "vbios_version": values.text(_text(gpu, "vbios_version")),
        })
    return {
        "driver_version": values.text(_text(root, "driver_version")),
        "cuda_version": values.text(_text(root, "cuda_version")),
        "attached_gpus": values.integer(_text(root, "attached_gpus")),
        "gpus": gpus,
    }
