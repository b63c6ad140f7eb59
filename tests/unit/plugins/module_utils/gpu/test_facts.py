from __future__ import annotations

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.facts import build_facts, empty_facts, product_label
from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.query import gpu_from_row, parse_csv
from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.smi_xml import parse_xml

from gpu_fixtures import load


def csv_gpus(name):
    return [gpu_from_row(r) for r in parse_csv(load(name))]


def test_product_label_matches_gpu_feature_discovery():
    assert product_label("NVIDIA H100 80GB HBM3") == "NVIDIA-H100-80GB-HBM3"
    assert product_label("Tesla T4") == "Tesla-T4"
    assert product_label(None) is None


def test_facts_from_h100_mig_capture():
    facts = build_facts(csv_gpus("query-csv-h100-mig.txt"))
    assert facts["gpu_count"] == 1
    assert facts["driver_version"] == "590.48.01"
    assert facts["products"] == ["NVIDIA H100 80GB HBM3"]
    assert facts["product_labels"] == ["NVIDIA-H100-80GB-HBM3"]
    assert facts["mig_enabled"] is True
    assert facts["cuda_version"] is None           # no -q -x report given
    assert facts["reason"] is None and facts["reason_code"] is None


def test_xml_adds_cuda_version_and_mig_devices_by_bus_id():
    xml = parse_xml(load("xml-dual-rtx-a5000.txt"))
    # The CSV side of the same two GPUs, as the query would list them (index, name, bus id).
    csv = [
        {"index": 1, "name": "NVIDIA RTX A5000", "pci_bus_id": "0000:c1:00.0", "driver_version": "590.44.01", "uuid": None},
        {"index": 0, "name": "NVIDIA RTX A5000", "pci_bus_id": "0000:81:00.0", "driver_version": "590.44.01", "uuid": None},
    ]
    facts = build_facts(csv, xml)
    assert facts["cuda_version"] == "13.1"
    assert [g["index"] for g in facts["gpus"]] == [0, 1]
    # Values the CSV lacked come from the report of the same GPU.
    assert [g["uuid"] for g in facts["gpus"]] == ["GPU-12345678-aaaa-bbbb-cccc-0123456789ab", "GPU-12345678-aaaa-bbbb-cccc-0123456789cd"]
    assert facts["products"] == ["NVIDIA RTX A5000"]


def test_xml_of_another_host_adds_nothing_per_gpu():
    facts = build_facts(csv_gpus("query-csv-h100-mig.txt"), parse_xml(load("xml-a100-sxm4-80gb-mig.txt")))
    assert facts["gpus"][0]["mig_devices"] is None    # bus ids differ: no merge
    assert facts["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"


def test_no_rows_is_zero_gpus_with_a_reason():
    facts = build_facts([])
    assert facts["gpu_count"] == 0 and facts["reason_code"] == "no_devices"


def test_empty_facts_carry_fabric_facts():
    facts = empty_facts({"reason_code": "driver_not_loaded", "reason": "x"}, {"installed": True}, ["05:00.0"])
    assert facts["gpu_count"] == 0 and facts["fabric_manager"] == {"installed": True} and facts["nvswitch_count"] == 1
