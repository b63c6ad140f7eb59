from __future__ import annotations

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.fabric import nvswitches, unit_state

from gpu_fixtures import load


def test_hgx_h200_listing_counts_switches_not_gpus():
    assert nvswitches(load("lspci-hgx-h200.txt")) == ["05:00.0", "06:00.0"]


def test_numeric_lspci_format():
    # lspci -D -n prints class and IDs only; the same H100 NVSwitch (10de:22a3) and one H100 GPU.
    out = "0000:05:00.0 0680: 10de:22a3 (rev a1)\n0000:18:00.0 0302: 10de:2330 (rev a1)\n"
    assert nvswitches(out) == ["0000:05:00.0"]


def test_nforce_ethernet_bridge_is_not_an_nvswitch():
    # pci.ids names 10de:03ef "MCP61 Ethernet" and classes it 0680 Bridge, like an NVSwitch.
    assert nvswitches("00:07.0 Bridge [0680]: NVIDIA Corporation MCP61 Ethernet [10de:03ef] (rev a2)") == []


def test_non_nvidia_bridges_are_ignored():
    assert nvswitches("0000:00:1f.0 ISA bridge [0601]: Intel Corporation Device [8086:1234]") == []


def test_unit_states():
    # `systemctl show -p LoadState,ActiveState,SubState` prints Key=Value lines.
    assert unit_state("LoadState=loaded\nActiveState=active\nSubState=running\n") == {
        "installed": True, "load_state": "loaded", "active_state": "active", "sub_state": "running"}
    missing = unit_state("LoadState=not-found\nActiveState=inactive\nSubState=dead\n")
    assert missing["installed"] is False and missing["active_state"] == "inactive"
    assert unit_state("LoadState=loaded\nActiveState=failed\nSubState=failed\n")["active_state"] == "failed"
