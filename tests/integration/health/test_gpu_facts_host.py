"""gpu_facts run through Ansible on this host.

Without an NVIDIA driver (CI, this development machine) the module must report
gpu_count 0 with a reason; on a GPU host the same test checks the inventory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from health_mlserver import ROOT


def run_module(*args: str) -> dict:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="true", ANSIBLE_LOCALHOST_WARNING="false")
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible"), "localhost", "--check", "-m", "gpufleet.datacenter.gpu_facts", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result["changed"] is False
    return result["ansible_facts"]["nvidia_gpu"]


@pytest.mark.gpu
def test_gpu_facts_inventories_this_hosts_gpus():
    facts = run_module()
    assert facts["gpu_count"] > 0, facts["reason"]
    assert facts["driver_version"] and facts["products"]
    assert len(facts["gpus"]) == facts["gpu_count"]


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None,
                    reason="this host has an NVIDIA GPU: test_gpu_facts_inventories_this_hosts_gpus runs instead")
def test_gpu_facts_on_this_host_without_a_driver():
    facts = run_module()
    assert facts["gpu_count"] == 0
    assert facts["reason_code"] == "nvidia_smi_missing"
    assert facts["gpus"] == [] and facts["driver_version"] is None


def test_explicit_missing_binary_is_zero_gpus():
    facts = run_module("-a", "nvidia_smi=/nonexistent/nvidia-smi query_xml=false")
    assert facts["gpu_count"] == 0
    assert facts["reason_code"] == "nvidia_smi_missing"
    assert facts["reason"] == "nvidia-smi is not installed at /nonexistent/nvidia-smi"


def test_gather_facts_runs_it_as_a_facts_module():
    # `ansible_facts_modules: [ansible.builtin.setup, gpufleet.datacenter.gpu_facts]` in a play's vars
    # makes `gather_facts: true` collect the GPU facts too; FACTS_MODULES is the same setting.
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="true", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_FACTS_MODULES="ansible.builtin.setup,gpufleet.datacenter.gpu_facts")
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible"), "localhost", "-m", "ansible.builtin.gather_facts", "-a", "gather_subset=min"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    facts = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["ansible_facts"]
    assert "ansible_system" in facts                  # from setup
    assert "gpu_count" in facts["nvidia_gpu"]       # from gpu_facts
