"""nvidia_driver's choice of packages, streams, locks and repositories, per distribution.

The role's own select.yml (variables of the distribution, preflight, GPU detection) runs on
localhost with the facts of Debian 12, Ubuntu 22.04/24.04 and RHEL 9 and a PCI tree laid out like
sysfs; nothing is installed. Debian 12 also runs for real in molecule; the others only here.
"""
import pytest

from .role_play import facts_for, include_role, run_tasks

HOPPER, VOLTA, BLACKWELL, NVSWITCH = "0x2330", "0x1db1", "0x2901", "0x22a3"
CHOSEN = ("__nvidia_driver_install_packages", "__nvidia_driver_hold_packages", "__nvidia_driver_apt_install_names",
          "__nvidia_driver_open", "__nvidia_driver_manage_kernel", "__nvidia_driver_pkg_mgr")
RHEL_CHOSEN = ("__nvidia_driver_dnf_module", "__nvidia_driver_lock_names", "__nvidia_driver_crb_repo",
               "__nvidia_driver_cuda_repo_url")


def pci_tree(tmp_path, *devices):
    root = tmp_path / "pci"
    for index, device in enumerate(devices):
        function = root / ("0000:%02x:00.0" % (index + 0x10))
        function.mkdir(parents=True)
        (function / "vendor").write_text("0x10de\n")
        (function / "class").write_text(("0x068000" if device == NVSWITCH else "0x030200") + "\n")
        (function / "device").write_text(device + "\n")
    root.mkdir(exist_ok=True)
    return str(root)


def select(tmp_path, platform, devices, facts=None, chosen=CHOSEN, **role_vars):
    extra = {"__nvidia_driver_pci_devices_dir": pci_tree(tmp_path, *devices)}
    extra.update(role_vars)
    show = {"name": "Show the choice", "ansible.builtin.debug": {
        "msg": {name: "{{ %s }}" % name for name in chosen}}}
    kernel = "6.8.0-45-generic" if platform.startswith("ubuntu") else "6.1.0-37-amd64"
    run = run_tasks(tmp_path, [include_role("nvidia_driver", "select", public=True), show],
                    facts_for(platform, kernel=kernel, **(facts or {})), extra)
    return run, (run.result("Show the choice") or {}).get("msg")


def test_debian12_distro_hopper_gets_open_dkms_modules(tmp_path):
    run, chosen = select(tmp_path, "debian12", [HOPPER])
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_open"] is True
    assert chosen["__nvidia_driver_install_packages"] == [
        "nvidia-smi", "libcuda1", "libnvidia-ml1", "nvidia-open-kernel-dkms", "firmware-nvidia-gsp",
        "linux-headers-6.1.0-37-amd64", "nvidia-persistenced"]
    assert "linux-headers-6.1.0-37-amd64" not in chosen["__nvidia_driver_hold_packages"]


@pytest.mark.parametrize("platform", ["ubuntu2204", "ubuntu2404"])
def test_ubuntu_server_gets_headless_packages_and_signed_prebuilt_open_modules(tmp_path, platform):
    run, chosen = select(tmp_path, platform, [HOPPER, NVSWITCH], nvidia_driver_branch="580",
                         nvidia_driver_version="580.95.05-*")
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_install_packages"] == [
        "nvidia-headless-no-dkms-580-server-open", "nvidia-utils-580-server", "libnvidia-compute-580-server",
        "linux-modules-nvidia-580-server-open-generic", "nvidia-compute-utils-580-server", "nvidia-fabricmanager-580"]
    # The prebuilt modules follow the kernel: neither held nor pinned to the driver version.
    assert "linux-modules-nvidia-580-server-open-generic" not in chosen["__nvidia_driver_hold_packages"]
    assert chosen["__nvidia_driver_apt_install_names"] == [
        "nvidia-headless-no-dkms-580-server-open=580.95.05-*", "nvidia-utils-580-server=580.95.05-*",
        "libnvidia-compute-580-server=580.95.05-*", "linux-modules-nvidia-580-server-open-generic",
        "nvidia-compute-utils-580-server", "nvidia-fabricmanager-580"]


def test_ubuntu_with_a_pre_turing_gpu_gets_the_proprietary_modules_of_the_hwe_flavour(tmp_path):
    run, chosen = select(tmp_path, "ubuntu2204", [VOLTA], nvidia_driver_ubuntu_kernel_flavour="generic-hwe-22.04")
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_open"] is False
    assert chosen["__nvidia_driver_install_packages"][:4] == [
        "nvidia-headless-no-dkms-535-server", "nvidia-utils-535-server", "libnvidia-compute-535-server",
        "linux-modules-nvidia-535-server-generic-hwe-22.04"]


@pytest.mark.parametrize("distribution,crb", [("RedHat", "codeready-builder-for-rhel-9-x86_64-rpms"),
                                              ("Rocky", "crb")])
def test_rhel9_cuda_repo_chooses_the_open_stream_locks_and_crb(tmp_path, distribution, crb):
    run, chosen = select(tmp_path, "rhel9", [HOPPER], facts={"distribution": distribution},
                         chosen=CHOSEN + RHEL_CHOSEN, nvidia_driver_install_method="cuda_repo",
                         nvidia_driver_branch="580", nvidia_driver_cuda_repo_base_url="https://mirror.example/cuda/")
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_pkg_mgr"] == "dnf"
    assert chosen["__nvidia_driver_dnf_module"] == "nvidia-driver:580-open"
    assert chosen["__nvidia_driver_install_packages"][0] == "@nvidia-driver:580-open"
    assert "@nvidia-driver:580-open" not in chosen["__nvidia_driver_lock_names"]
    assert {"nvidia-driver", "nvidia-driver-*", "kmod-nvidia*"} <= set(chosen["__nvidia_driver_lock_names"])
    assert chosen["__nvidia_driver_crb_repo"] == crb
    assert chosen["__nvidia_driver_cuda_repo_url"] == "https://mirror.example/cuda/rhel9/x86_64"


def test_rhel9_refuses_the_distro_method(tmp_path):
    run, _chosen = select(tmp_path, "rhel9", [HOPPER])
    assert run.failed
    assert any("branch '535' is not available with nvidia_driver_install_method 'distro' on RedHat 9" in m
               and "none, use cuda_repo" in m for m in run.failure_messages()), run.failure_messages()


def test_blackwell_on_branch_535_is_refused_naming_the_gpu(tmp_path):
    run, _chosen = select(tmp_path, "ubuntu2404", [BLACKWELL], nvidia_driver_open_kernel_modules=False)
    assert run.failed
    message = " ".join(run.failure_messages())
    assert "Blackwell GPU(s) 0x2901 run only with the open kernel modules" in message
    assert "Blackwell GPU(s) 0x2901 need branch 570 or newer, not 535" in message
