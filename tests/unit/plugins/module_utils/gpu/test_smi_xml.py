"""nvidia-smi -q -x parsing on real recorded reports."""

from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.smi_xml import parse_xml

from gpu_fixtures import load


@pytest.mark.parametrize("fixture,driver,cuda,names", [
    ("xml-a100-sxm4-80gb-mig.txt", "535.54.03", "12.2", ["NVIDIA A100-SXM4-80GB"]),
    ("xml-tesla-t4.txt", "515.105.01", "11.7", ["Tesla T4"]),
    ("xml-a10g.txt", "515.105.01", "11.7", ["NVIDIA A10G"]),
    ("xml-dual-rtx-a5000.txt", "590.44.01", "13.1", ["NVIDIA RTX A5000", "NVIDIA RTX A5000"]),
])
def test_versions_and_products(fixture, driver, cuda, names):
    report = parse_xml(load(fixture))
    assert report["driver_version"] == driver
    assert report["cuda_version"] == cuda
    assert [g["name"] for g in report["gpus"]] == names


def test_mig_enabled_a100_lists_its_instances():
    (gpu,) = parse_xml(load("xml-a100-sxm4-80gb-mig.txt"))["gpus"]
    assert gpu["mig_mode"] is True
    assert gpu["memory_mib"] == 81920
    assert [d["gpu_instance_id"] for d in gpu["mig_devices"]] == [3, 4, 5, 6]
    assert {d["memory_mib"] for d in gpu["mig_devices"]} == {19968}
    assert gpu["pci_bus_id"] == "0000:01:00.0"


def test_gpu_without_mig_has_no_mig_devices():
    (gpu,) = parse_xml(load("xml-tesla-t4.txt"))["gpus"]
    assert gpu["mig_mode"] is None
    assert gpu["mig_devices"] is None
    assert gpu["ecc_errors_uncorrected_volatile"] == 0   # sram_/dram_uncorrectable (v12 schema)


def test_two_gpus_and_v13_ecc_with_ecc_off():
    report = parse_xml(load("xml-dual-rtx-a5000.txt"))
    assert report["attached_gpus"] == 2
    assert [g["pci_bus_id"] for g in report["gpus"]] == ["0000:81:00.0", "0000:c1:00.0"]
    assert all(g["ecc_mode"] is False and g["ecc_errors_uncorrected_volatile"] is None for g in report["gpus"])
    assert all(g["persistence_mode"] is True for g in report["gpus"])


@pytest.mark.parametrize("text,match", [
    ("Failed to initialize NVML: Driver/library version mismatch", "not XML"),
    ("<?xml version='1.0'?><other/>", "expected <nvidia_smi_log>"),
])
def test_non_reports_are_refused(text, match):
    with pytest.raises(ValueError, match=match):
        parse_xml(text)
