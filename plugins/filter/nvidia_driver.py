# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the nvidia_driver role: GPU generations from PCI ids, and the kernel module flavour."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# NVIDIA allocates PCI device ids in chronological blocks: the generation is the block's, from
# its lower bound (inclusive). Examples: V100 0x1db1, T4 0x1eb8, A100 0x20b0, TU116 0x2182,
# A10 0x2236, H100 0x2330, H200 0x2335, A16 0x25b6, L40S 0x26b9, L4 0x27b8, B200 0x2901,
# RTX PRO 6000 Blackwell 0x2bb5.
GENERATIONS = (
    (0x0000, "pre-turing"),
    (0x1E00, "turing"),
    (0x2000, "ampere"),
    (0x2180, "turing"),
    (0x2200, "ampere"),
    (0x2300, "hopper"),
    (0x2400, "ampere"),
    (0x2600, "ada"),
    (0x2900, "blackwell"),
)
# Open kernel modules: Turing and newer, from branch 515; NVIDIA's installer defaults to them
# from branch 560; Blackwell runs only with them, from branch 570.
OPEN_MIN_BRANCH = 515
OPEN_DEFAULT_BRANCH = 560
BLACKWELL_MIN_BRANCH = 570


def gpu_generation(device_id):
    """Generation name of an NVIDIA PCI device id ("0x2330" or 0x2330)."""
    try:
        value = int(device_id, 16) if isinstance(device_id, str) else int(device_id)
    except ValueError as exc:
        raise AnsibleFilterError("nvidia_driver: PCI device id %r is not a number" % (device_id,)) from exc
    name = GENERATIONS[0][1]
    for low, generation in GENERATIONS:
        if value >= low:
            name = generation
    return name


def nvidia_gpus(pci_listing, gpu_class_prefixes=("0x0300", "0x0302")):
    """GPUs in "<address> <class> <device>" lines (tasks/detect.yml), with their generation."""
    gpus = []
    for line in (pci_listing or "").splitlines():
        fields = line.split()
        if len(fields) != 3 or not fields[1].startswith(tuple(gpu_class_prefixes)):
            continue
        gpus.append({"address": fields[0], "device": fields[2], "generation": gpu_generation(fields[2])})
    return gpus


def _flag(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("auto", ""):
        return None
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise AnsibleFilterError("nvidia_driver: nvidia_driver_open_kernel_modules must be auto, true or false, got %r"
                             % (value,))


def nvidia_kernel_modules(gpus, branch, open_modules="auto"):
    """Whether to install the open kernel modules, and what refuses the choice.

    Returns {"open": bool, "problems": [str]}. auto: open unless a pre-Turing GPU is present; with
    no GPU found, open from the branch NVIDIA's installer makes them the default (560).
    """
    try:
        branch_number = int(str(branch))
    except ValueError as exc:
        raise AnsibleFilterError("nvidia_driver: branch %r is not a number" % (branch,)) from exc
    wanted = _flag(open_modules)
    generations = {g["generation"] for g in gpus}
    old = sorted(g["device"] for g in gpus if g["generation"] == "pre-turing")
    blackwell = sorted(g["device"] for g in gpus if g["generation"] == "blackwell")
    if wanted is None:
        use_open = not old and (bool(gpus) or branch_number >= OPEN_DEFAULT_BRANCH)
        use_open = use_open and branch_number >= OPEN_MIN_BRANCH
    else:
        use_open = wanted
    problems = []
    if use_open and old:
        problems.append("open kernel modules support Turing and newer GPUs; pre-Turing GPU(s) %s need "
                        "nvidia_driver_open_kernel_modules false" % ", ".join(old))
    if use_open and branch_number < OPEN_MIN_BRANCH:
        problems.append("open kernel modules need branch %d or newer, not %s" % (OPEN_MIN_BRANCH, branch))
    if blackwell and not use_open:
        problems.append("Blackwell GPU(s) %s run only with the open kernel modules: set "
                        "nvidia_driver_open_kernel_modules true or auto" % ", ".join(blackwell))
    if blackwell and branch_number < BLACKWELL_MIN_BRANCH:
        problems.append("Blackwell GPU(s) %s need branch %d or newer, not %s"
                        % (", ".join(blackwell), BLACKWELL_MIN_BRANCH, branch))
    return {"open": use_open, "problems": problems, "generations": sorted(generations)}


class FilterModule:
    def filters(self):
        return {"nvidia_gpus": nvidia_gpus, "nvidia_kernel_modules": nvidia_kernel_modules}
