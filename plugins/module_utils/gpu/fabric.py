# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NVSwitch fabric: fabric manager service state and NVSwitch count from lspci (pure)."""

from __future__ import annotations

import re

FABRIC_MANAGER_UNIT = "nvidia-fabricmanager.service"

# NVSwitch device IDs (vendor 10de): 1ac0-1ac2 first generation (DGX-2, HGX-2),
# 1af1 second (HGX A100), 22a3 third (HGX H100/H200). They enumerate as PCI class
# 0680 "Bridge"; NVIDIA's own nForce-era Ethernet also used 0680, hence the
# Ethernet exclusion when lspci knows the device name.
NVSWITCH_DEVICE_IDS = frozenset(("1ac0", "1ac1", "1ac2", "1af1", "22a3"))

# lspci -Dnn: "0000:07:00.0 Bridge [0680]: NVIDIA Corporation GH100 [H100 NVSwitch] [10de:22a3] (rev a1)"
# lspci -Dn:  "0000:07:00.0 0680: 10de:22a3 (rev a1)"
# Searched anywhere in the line, so listings that prefix it (IOMMU group scripts) parse too.
_SLOT = r"(?P<slot>(?:[0-9a-f]{4,8}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])"
_NAMED = re.compile(_SLOT + r"\s+(?P<cls_name>[^\[]*?)\s*\[(?P<cls>[0-9a-f]{4})\]:\s*(?P<name>.*?)\s*\[(?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4})\]", re.I)
_NUMERIC = re.compile(_SLOT + r"\s+(?P<cls>[0-9a-f]{4}):\s*(?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4})", re.I)


def nvswitches(lspci_output: str) -> list[str]:
    """PCI slots of the NVSwitches in lspci -Dnn (or -Dn) output."""
    found = []
    for line in lspci_output.splitlines():
        m = _NAMED.search(line) or _NUMERIC.search(line)
        if not m or m.group("vendor").lower() != "10de":
            continue
        device = m.group("device").lower()
        name = m.groupdict().get("name") or ""
        if device in NVSWITCH_DEVICE_IDS or (m.group("cls") == "0680" and "ethernet" not in name.lower()):
            found.append(m.group("slot"))
    return found


def unit_state(systemctl_show_output: str) -> dict:
    """Fabric manager state from `systemctl show -p LoadState,ActiveState,SubState <unit>`."""
    props = {}
    for line in systemctl_show_output.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            props[key.strip()] = value.strip()
    load = props.get("LoadState")
    return {
        "installed": None if load is None else load not in ("not-found", "masked"),
        "load_state": load,
        "active_state": props.get("ActiveState"),
        "sub_state": props.get("SubState"),
    }
