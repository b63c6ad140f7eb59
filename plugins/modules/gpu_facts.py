#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Gather a host's NVIDIA GPU inventory as facts
version_added: 1.0.0
description:
  - Reads the host's NVIDIA GPUs with C(nvidia-smi --query-gpu=... --format=csv,nounits) and returns
    them under C(ansible_facts.nvidia_gpu) - driver version, GPU count, per GPU name, UUID, PCI bus ID,
    memory, persistence mode, MIG mode, ECC mode and uncorrected volatile ECC errors.
  - Adds the CUDA version the driver supports and each GPU's MIG devices from C(nvidia-smi -q -x).
  - Reports the NVIDIA fabric manager service state (C(systemctl show nvidia-fabricmanager.service)) and
    counts NVSwitches from C(lspci -D -nn -d 10de:), for HGX/DGX hosts.
  - A host without C(nvidia-smi), without a loaded driver, with a driver/library version mismatch or without
    a GPU is not a failure - C(gpu_count) is C(0) and C(reason_code) and C(reason) say why.
  - Every command is read-only, so the module runs the same in check mode.
author:
  - gpufleet maintainers (@gpufleet)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: Only runs read-only commands.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
options:
  nvidia_smi:
    description:
      - Path of C(nvidia-smi). Looked up on E(PATH) (and the usual sbin directories) when omitted.
    type: path
  query_xml:
    description:
      - Also run C(nvidia-smi -q -x) for the CUDA version and MIG devices.
      - It takes about a second per GPU on large hosts; turn it off when only the CSV facts are needed.
    type: bool
    default: true
  fabric_manager:
    description: Report the state of C(nvidia-fabricmanager.service).
    type: bool
    default: true
  nvswitches:
    description: Count NVSwitches on the PCI bus with C(lspci).
    type: bool
    default: true
notes:
  - The facts are named C(nvidia_gpu), not after the collection's C(gpufleet_gpu) site variable (the expected
    product), so that fact injection (C(inject_facts_as_vars)) never overrides the inventory's expectation.
seealso:
  - name: nvidia-smi documentation
    description: Query fields and XML report used by this module.
    link: https://docs.nvidia.com/deploy/nvidia-smi/index.html
"""

EXAMPLES = r"""
- name: Gather GPU facts
  gpufleet.datacenter.gpu_facts:

- name: Check that the pinned driver branch is loaded
  ansible.builtin.assert:
    that:
      - ansible_facts.nvidia_gpu.gpu_count > 0
      - ansible_facts.nvidia_gpu.driver_version is version('535', '>=')
      - ansible_facts.nvidia_gpu.driver_version is version('536', '<')
    fail_msg: >-
      {{ inventory_hostname }}: expected driver 535.x, found
      {{ ansible_facts.nvidia_gpu.driver_version | default('none') }}
      ({{ ansible_facts.nvidia_gpu.reason | default('') }})

- name: Gather only the CSV inventory, quickly
  gpufleet.datacenter.gpu_facts:
    query_xml: false
    fabric_manager: false
    nvswitches: false

- name: Label the node with its GPU product
  ansible.builtin.debug:
    msg: "nvidia.com/gpu.product={{ ansible_facts.nvidia_gpu.product_labels | first }}"
  when: ansible_facts.nvidia_gpu.gpu_count > 0
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: dict
  contains:
    nvidia_gpu:
      description: The host's NVIDIA GPU inventory.
      returned: always
      type: dict
      contains:
        gpu_count:
          description: Number of GPUs nvidia-smi lists; C(0) when there is none or nvidia-smi cannot run.
          type: int
          sample: 8
        driver_version:
          description: Version of the loaded NVIDIA driver, or null.
          type: str
          sample: 535.54.03
        cuda_version:
          description: Highest CUDA version the driver supports (from C(nvidia-smi -q -x)), or null.
          type: str
          sample: "12.2"
        gpus:
          description: One entry per GPU, ordered by index.
          type: list
          elements: dict
          sample:
            - index: 0
              name: NVIDIA H100 80GB HBM3
              uuid: GPU-7fdaf0a5-179b-f636-d15d-daf243e3ff16
              pci_bus_id: "0000:19:00.0"
              driver_version: 535.54.03
              memory_mib: 81559
              persistence_mode: true
              mig_mode: false
              mig_devices: null
              ecc_mode: true
              ecc_errors_uncorrected_volatile: 0
              vbios_version: 96.00.74.00.0D
              product_label: NVIDIA-H100-80GB-HBM3
        products:
          description: Distinct GPU product names, sorted.
          type: list
          elements: str
          sample: [NVIDIA H100 80GB HBM3]
        product_labels:
          description: The same names as GPU Feature Discovery writes them into C(nvidia.com/gpu.product) (spaces to dashes).
          type: list
          elements: str
          sample: [NVIDIA-H100-80GB-HBM3]
        mig_enabled:
          description: Whether MIG mode is enabled on any GPU.
          type: bool
          sample: false
        fabric_manager:
          description:
            - State of C(nvidia-fabricmanager.service) - installed, load_state, active_state, sub_state, unit.
            - Null when systemd is not available or the check is off.
          type: dict
          sample: {installed: true, load_state: loaded, active_state: active, sub_state: running, unit: nvidia-fabricmanager.service}
        nvswitch_count:
          description: NVSwitches on the PCI bus; null when lspci is not available or the check is off.
          type: int
          sample: 4
        reason_code:
          description:
            - Why there is no GPU inventory - C(nvidia_smi_missing), C(driver_not_loaded),
              C(driver_library_mismatch), C(no_devices), C(nvml_missing), C(insufficient_permissions) or
              C(nvidia_smi_failed). Null when GPUs were found.
          type: str
          sample: driver_library_mismatch
        reason:
          description: Human-readable reason, with nvidia-smi's own message. Null when GPUs were found.
          type: str
          sample: "the loaded kernel module and the NVML library differ (driver updated without reboot or module reload)
            (nvidia-smi rc=18: Failed to initialize NVML: Driver/library version mismatch)"
        nvml_library_version:
          description: NVML library version nvidia-smi printed with a driver/library mismatch.
          returned: when reason_code is driver_library_mismatch and nvidia-smi printed it
          type: str
          sample: "570.124"
        notes:
          description: What could not be gathered, for example when C(nvidia-smi -q -x) failed.
          type: list
          elements: str
          sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.collect import GpuFactsError, Options, collect

ARGUMENT_SPEC = dict(
    nvidia_smi=dict(type="path"),
    query_xml=dict(type="bool", default=True),
    fabric_manager=dict(type="bool", default=True),
    nvswitches=dict(type="bool", default=True),
)

# nvidia-smi usually lives in /usr/bin; these cover installs from NVIDIA's .run files and containers.
EXTRA_PATHS = ["/usr/local/nvidia/bin", "/usr/local/bin", "/usr/sbin", "/sbin"]


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    options = Options(nvidia_smi=p["nvidia_smi"], query_xml=p["query_xml"], fabric_manager=p["fabric_manager"], nvswitches=p["nvswitches"])

    def run(args: list) -> tuple[int, str, str]:
        # LC_ALL=C: nvidia-smi and systemctl messages are matched in English.
        return module.run_command(args, environ_update={"LC_ALL": "C"})

    def which(name: str) -> str | None:
        return module.get_bin_path(name, opt_dirs=EXTRA_PATHS)

    try:
        facts = collect(run, which, options)
    except GpuFactsError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, ansible_facts={"nvidia_gpu": facts})


if __name__ == "__main__":
    main()
