"""collect(): the commands gpu_facts runs, replayed from recorded outputs."""

from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.collect import GpuFactsError, Options, collect

from gpu_fixtures import Host, load

FM_RUNNING = (0, "LoadState=loaded\nActiveState=active\nSubState=running\n", "")
NO_SYSTEMD = (1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n")


def test_every_source_is_read():
    # No public recording has all four outputs from one host; these come from different hosts
    # (H100 CSV, A100 report, HGX H200 lspci), which is enough to follow each one into the facts.
    host = Host(query=(0, load("query-csv-h100-mig.txt"), ""), xml=(0, load("xml-a100-sxm4-80gb-mig.txt"), ""),
                lspci=(0, load("lspci-hgx-h200.txt"), ""), systemctl=FM_RUNNING)
    facts = collect(host.run, host.which)
    assert facts["gpu_count"] == 1 and facts["mig_enabled"] is True
    assert facts["cuda_version"] == "12.2"
    assert facts["nvswitch_count"] == 2
    assert facts["fabric_manager"]["active_state"] == "active"
    assert facts["fabric_manager"]["unit"] == "nvidia-fabricmanager.service"
    query = host.calls[2]
    assert query[1].startswith("--query-gpu=index,name,uuid,pci.bus_id,driver_version,memory.total")
    assert ["/usr/bin/nvidia-smi", "-q", "-x"] in host.calls


def test_no_nvidia_smi_is_zero_gpus_not_a_failure():
    host = Host(systemctl=NO_SYSTEMD)
    facts = collect(host.run, host.which)
    assert facts["gpu_count"] == 0
    assert facts["reason_code"] == "nvidia_smi_missing"
    assert facts["fabric_manager"] is None          # systemctl present but systemd not running
    assert facts["nvswitch_count"] is None          # no lspci


@pytest.mark.parametrize("fixture,rc,code", [
    ("error-driver-library-mismatch.txt", 18, "driver_library_mismatch"),
    ("error-driver-not-loaded.txt", 9, "driver_not_loaded"),
    ("error-no-devices.txt", 6, "no_devices"),
    ("error-no-devices.txt", 0, "no_devices"),     # printed with rc 0 by some drivers
])
def test_broken_driver_is_zero_gpus_with_reason(fixture, rc, code):
    host = Host(query=(rc, load(fixture), ""))
    facts = collect(host.run, host.which, Options(fabric_manager=False, nvswitches=False))
    assert (facts["gpu_count"], facts["reason_code"]) == (0, code)
    assert len(host.calls) == 1                      # no -q -x after the query failed


def test_xml_failure_is_a_note_not_a_failure():
    host = Host(query=(0, load("query-csv-l40s.txt"), ""), xml=(6, "", "Unable to determine the device handle\n"))
    facts = collect(host.run, host.which, Options(fabric_manager=False, nvswitches=False))
    assert facts["gpu_count"] == 1 and facts["cuda_version"] is None
    assert facts["notes"] == ["cuda_version and MIG devices unknown: nvidia-smi -q -x failed (rc=6: Unable to determine the device handle)"]


def test_query_xml_off_runs_one_command():
    host = Host(query=(0, load("query-csv-h200.txt"), ""), xml=(0, load("xml-tesla-t4.txt"), ""))
    facts = collect(host.run, host.which, Options(query_xml=False, fabric_manager=False, nvswitches=False))
    assert facts["products"] == ["NVIDIA H200"] and len(host.calls) == 1


def test_unreadable_query_output_fails():
    host = Host(query=(0, "index, name\n0\n", ""))
    with pytest.raises(GpuFactsError, match="Failed to parse nvidia-smi --query-gpu output: expected 2 columns"):
        collect(host.run, host.which, Options(query_xml=False, fabric_manager=False, nvswitches=False))


def test_configured_path_that_does_not_exist_is_zero_gpus():
    host = Host(query=(0, load("query-csv-h200.txt"), ""))
    facts = collect(host.run, host.which, Options(nvidia_smi="/opt/nvidia/bin/nvidia-smi", fabric_manager=False, nvswitches=False),
                    executable=lambda path: False)
    assert facts["reason"] == "nvidia-smi is not installed at /opt/nvidia/bin/nvidia-smi"
    assert host.calls == []


def test_old_driver_refusing_a_field_gets_the_base_query():
    class OldDriver(Host):
        def run(self, args):
            self.calls.append(list(args))
            if "mig.mode.current" in args[1]:
                # nvidia-smi's answer to a field the driver does not know (message as printed by nvidia-smi).
                return (2, 'Field "mig.mode.current" is not a valid field to query.\n\n', "")
            return (0, load("query-csv-h200.txt"), "")

    host = OldDriver(query=(0, "", ""))
    facts = collect(host.run, host.which, Options(query_xml=False, fabric_manager=False, nvswitches=False))
    assert facts["gpu_count"] == 1
    assert host.calls[1][1] == "--query-gpu=index,name,uuid,pci.bus_id,driver_version,memory.total,persistence_mode"
    assert facts["notes"] == ["the driver does not know the query field mig.mode.current; only index, name, uuid, pci.bus_id, "
                              "driver_version, memory.total, persistence_mode were read"]
