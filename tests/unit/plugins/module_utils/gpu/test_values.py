from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu import values


@pytest.mark.parametrize("raw", [None, "", " ", "N/A", "[N/A]", "[Not Supported]", "[Requested functionality has been deprecated]", "None"])
def test_missing_values(raw):
    assert values.missing(raw) is True
    assert values.text(raw) is None
    assert values.integer(raw) is None
    assert values.enabled(raw) is None


@pytest.mark.parametrize("raw,expected", [("81559", 81559), ("81559 MiB", 81559), (" 0 ", 0), ("28.16", 28), ("P0", None), ("0x233010DE", None)])
def test_integer(raw, expected):
    assert values.integer(raw) == expected


@pytest.mark.parametrize("raw,expected", [("Enabled", True), ("Disabled", False), ("enabled", True), ("Default", None)])
def test_enabled(raw, expected):
    assert values.enabled(raw) is expected


@pytest.mark.parametrize("raw,expected", [
    ("00000000:3B:00.0", "0000:3b:00.0"),   # nvidia-smi
    ("0000:3b:00.0", "0000:3b:00.0"),       # lspci -D
    ("3b:00.0", "0000:3b:00.0"),            # lspci
    ("00000001:01:00.0", "0001:01:00.0"),
    ("[N/A]", None),
])
def test_pci_bus_id_normalises_both_tools(raw, expected):
    assert values.pci_bus_id(raw) == expected
