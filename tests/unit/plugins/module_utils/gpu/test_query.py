"""--query-gpu CSV parsing, on real recorded outputs (see tests/unit/fixtures/nvidia-smi/)."""

from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.query import QUERY_FIELDS, gpu_from_row, invalid_field, parse_csv, query_args

from gpu_fixtures import fields_of, load


def gpus(name, fields=None):
    return [gpu_from_row(r) for r in parse_csv(load(name), fields)]


@pytest.mark.parametrize("fixture,name,memory,mig,persistence,driver", [
    ("query-csv-h100-80gb-hbm3.txt", "NVIDIA H100 80GB HBM3", 81559, False, True, "590.48.01"),
    ("query-csv-h100-mig.txt", "NVIDIA H100 80GB HBM3", 81559, True, True, "590.48.01"),
    ("query-csv-h200.txt", "NVIDIA H200", 143771, False, True, "590.48.01"),
    ("query-csv-l40s.txt", "NVIDIA L40S", 46068, None, False, "595.80"),  # no MIG on L40S: [N/A]
])
def test_full_field_captures_with_header_and_units(fixture, name, memory, mig, persistence, driver):
    (gpu,) = gpus(fixture)
    assert gpu["index"] == 0
    assert gpu["name"] == name
    assert gpu["memory_mib"] == memory          # "81559 MiB" with units
    assert gpu["mig_mode"] is mig
    assert gpu["persistence_mode"] is persistence
    assert gpu["driver_version"] == driver
    assert gpu["ecc_mode"] is True
    assert gpu["ecc_errors_uncorrected_volatile"] == 0
    assert gpu["uuid"] == "GPU-00000000-0000-0000-0000-000000000000"  # masked by the capture tool


def test_h200_bus_id_is_normalised():
    assert gpus("query-csv-h200.txt")[0]["pci_bus_id"] == "0000:83:00.0"


def test_partial_field_set_leaves_the_rest_unknown():
    (gpu,) = gpus("query-csv-tesla-p100.txt")
    assert gpu["name"] == "Tesla P100-PCIE-16GB"
    assert gpu["uuid"] == "GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6"
    assert gpu["index"] is None and gpu["memory_mib"] is None and gpu["driver_version"] is None


def test_noheader_nounits_with_old_style_na_and_field_alias():
    name = "query-noheader-rtx-2080.txt"
    (gpu,) = gpus(name, fields_of(name))
    assert gpu["name"] == "GeForce RTX 2080"                                # a name with spaces, unquoted
    assert gpu["uuid"] == "GPU-22b2c6ac-2d49-4863-197c-9c469071178a"        # asked for as gpu_uuid
    assert gpu["memory_mib"] == 7979
    assert gpu["driver_version"] == "440.64"
    assert gpu["vbios_version"] == "90.04.23.00.5F"


def test_column_count_mismatch_is_an_error_naming_the_fields():
    with pytest.raises(ValueError, match=r"expected 11 columns \(index, name, "):
        parse_csv("0, NVIDIA H100 80GB HBM3\n", QUERY_FIELDS)


def test_empty_output_has_no_rows():
    assert parse_csv("", QUERY_FIELDS) == []
    assert parse_csv("\n\n", None) == []


def test_query_args_ask_for_csv_with_header_and_without_units():
    args = query_args("/usr/bin/nvidia-smi")
    assert args[0] == "/usr/bin/nvidia-smi"
    assert args[1] == "--query-gpu=" + ",".join(QUERY_FIELDS)
    assert args[2] == "--format=csv,nounits"


def test_every_query_field_is_known_to_a_real_driver():
    # The H100 capture's header lists every field driver 590 accepts; ours must all be among them,
    # or nvidia-smi would answer 'Field "x" is not a valid field to query.'
    header = load("query-csv-h100-80gb-hbm3.txt").splitlines()[0]
    known = {c.split(" [")[0].strip() for c in header.split(",")}
    assert set(QUERY_FIELDS) <= known


@pytest.mark.parametrize("output,field", [
    ('Field "cuda_version" is not a valid field to query.\n', "cuda_version"),
    ('Field "clocks_event_reasons.hw_power_brake" is not a valid field to query.\n\n', "clocks_event_reasons.hw_power_brake"),
    ("index, name\n0, Tesla T4\n", None),
])
def test_invalid_field(output, field):
    assert invalid_field(output) == field
