"""gpu_facts main(): AnsibleModule.run_command answers with recorded nvidia-smi outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu import collect as collect_mod
from ansible_collections.gpufleet.datacenter.plugins.modules import gpu_facts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils" / "gpu"))
from gpu_fixtures import Host, load  # noqa: E402  (recorded fixtures and their loader live with the module_utils tests)


def run_main(host, args, capsys, monkeypatch):
    seen_env = []

    def run_command(self, args, environ_update=None, **kwargs):
        seen_env.append(environ_update)
        return host.run(args)

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: host.which(name))
    # The recorded host's binaries exist only in the recording.
    monkeypatch.setattr(collect_mod, "_executable", lambda path: True)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_:
        gpu_facts.main()
    return exit_.value.code, json.loads(capsys.readouterr().out), seen_env


def test_facts_from_recorded_h200_host_in_check_mode(capsys, monkeypatch):
    host = Host(query=(0, load("query-csv-h200.txt"), ""), xml=(0, load("xml-tesla-t4.txt"), ""))
    code, out, env = run_main(host, {"_ansible_check_mode": True, "fabric_manager": False, "nvswitches": False}, capsys, monkeypatch)
    assert code == 0 and out["changed"] is False
    facts = out["ansible_facts"]["nvidia_gpu"]
    assert facts["gpu_count"] == 1
    assert facts["driver_version"] == "590.48.01"
    assert facts["products"] == ["NVIDIA H200"]
    assert facts["gpus"][0]["memory_mib"] == 143771
    assert facts["gpus"][0]["product_label"] == "NVIDIA-H200"
    assert all(e == {"LC_ALL": "C"} for e in env)


def test_driver_library_mismatch_is_reported_not_failed(capsys, monkeypatch):
    host = Host(query=(18, load("error-driver-library-mismatch.txt"), ""))
    code, out, dummy = run_main(host, {"fabric_manager": False, "nvswitches": False}, capsys, monkeypatch)
    assert code == 0
    facts = out["ansible_facts"]["nvidia_gpu"]
    assert facts["gpu_count"] == 0
    assert facts["reason_code"] == "driver_library_mismatch"
    assert facts["nvml_library_version"] == "570.124"


def test_explicit_nvidia_smi_path_is_used(capsys, monkeypatch):
    host = Host(query=(0, load("query-csv-l40s.txt"), ""))
    args = {"nvidia_smi": "/opt/nvidia/bin/nvidia-smi", "query_xml": False, "fabric_manager": False, "nvswitches": False}
    code, out, dummy = run_main(host, args, capsys, monkeypatch)
    assert code == 0 and host.calls[0][0] == "/opt/nvidia/bin/nvidia-smi"
    assert out["ansible_facts"]["nvidia_gpu"]["products"] == ["NVIDIA L40S"]


def test_unparseable_output_fails_the_task(capsys, monkeypatch):
    host = Host(query=(0, "index, name\n0\n", ""))
    code, out, dummy = run_main(host, {"query_xml": False, "fabric_manager": False, "nvswitches": False}, capsys, monkeypatch)
    assert code == 1 and out["failed"] is True
    assert out["msg"].startswith("Failed to parse nvidia-smi --query-gpu output")


def test_argument_spec():
    assert gpu_facts.ARGUMENT_SPEC["nvidia_smi"]["type"] == "path"
    assert all(gpu_facts.ARGUMENT_SPEC[k]["default"] is True for k in ("query_xml", "fabric_manager", "nvswitches"))
