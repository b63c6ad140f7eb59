"""GPU generations from PCI ids and the open/proprietary kernel module choice."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.datacenter.plugins.filter.nvidia_driver import (
    gpu_generation, nvidia_gpus, nvidia_kernel_modules)


# Device ids of shipping products (PCI ID repository names in the comments).
@pytest.mark.parametrize("device,generation", [
    ("0x1db1", "pre-turing"),   # V100 SXM2
    ("0x15f8", "pre-turing"),   # P100
    ("0x1eb8", "turing"),       # T4
    ("0x2182", "turing"),       # TU116 (GTX 1660 Ti)
    ("0x20b0", "ampere"),       # A100 SXM4
    ("0x2236", "ampere"),       # A10
    ("0x25b6", "ampere"),       # A16
    ("0x2330", "hopper"),       # H100 SXM5
    ("0x2335", "hopper"),       # H200
    ("0x26b9", "ada"),          # L40S
    ("0x27b8", "ada"),          # L4
    ("0x2901", "blackwell"),    # B200
    ("0x2bb5", "blackwell"),    # RTX PRO 6000 Blackwell
])
def test_generation_of_known_products(device, generation):
    assert gpu_generation(device) == generation


def test_gpus_are_read_from_the_detect_listing_and_switches_left_out():
    listing = "0000:17:00.0 0x030200 0x2330\n0000:05:00.0 0x068000 0x22a3\n0000:3d:00.0 0x030000 0x1eb8\n"
    assert nvidia_gpus(listing) == [
        {"address": "0000:17:00.0", "device": "0x2330", "generation": "hopper"},
        {"address": "0000:3d:00.0", "device": "0x1eb8", "generation": "turing"},
    ]
    assert nvidia_gpus("") == []


def gpus(*devices):
    return [{"address": "0000:%02x:00.0" % i, "device": d, "generation": gpu_generation(d)}
            for i, d in enumerate(devices)]


def test_auto_is_open_from_turing_on():
    assert nvidia_kernel_modules(gpus("0x2330", "0x2330"), "535") == {
        "open": True, "problems": [], "generations": ["hopper"]}
    assert nvidia_kernel_modules(gpus("0x1eb8"), "535")["open"] is True


def test_auto_is_proprietary_with_a_pre_turing_gpu():
    result = nvidia_kernel_modules(gpus("0x1db1", "0x2330"), "535")
    assert result["open"] is False and result["problems"] == []


def test_auto_without_a_gpu_follows_nvidias_installer_default():
    assert nvidia_kernel_modules([], "535")["open"] is False
    assert nvidia_kernel_modules([], "560")["open"] is True
    assert nvidia_kernel_modules([], "580")["open"] is True


def test_auto_never_picks_open_before_branch_515():
    assert nvidia_kernel_modules(gpus("0x2330"), "470") == {"open": False, "problems": [], "generations": ["hopper"]}


def test_open_modules_refused_for_pre_turing_and_old_branches():
    problems = nvidia_kernel_modules(gpus("0x1db1"), "470", True)["problems"]
    assert problems == [
        "open kernel modules support Turing and newer GPUs; pre-Turing GPU(s) 0x1db1 need "
        "nvidia_driver_open_kernel_modules false",
        "open kernel modules need branch 515 or newer, not 470",
    ]


def test_blackwell_needs_open_modules_and_branch_570():
    problems = nvidia_kernel_modules(gpus("0x2901"), "535", "false")["problems"]
    assert problems == [
        "Blackwell GPU(s) 0x2901 run only with the open kernel modules: set nvidia_driver_open_kernel_modules true or auto",
        "Blackwell GPU(s) 0x2901 need branch 570 or newer, not 535",
    ]
    assert nvidia_kernel_modules(gpus("0x2901"), "580", "auto") == {
        "open": True, "problems": [], "generations": ["blackwell"]}


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_open_setting_must_be_auto_true_or_false(value):
    with pytest.raises(AnsibleFilterError, match="must be auto, true or false"):
        nvidia_kernel_modules([], "580", value)


def test_device_id_must_be_hex():
    with pytest.raises(AnsibleFilterError, match="is not a number"):
        gpu_generation("0xzz")
