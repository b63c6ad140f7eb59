"""nvidia_driver's choice of packages, streams, locks and repositories, per distribution.

The role's own select.yml (variables of the distribution, preflight, GPU detection) runs on
localhost with the facts of Debian 12, Ubuntu 22.04/24.04 and RHEL 9 and a PCI tree laid out like
sysfs; nothing is installed. Debian 12 also runs for real in molecule; the others only here.
"""
from pathlib import Path

import pytest
import yaml

from .role_play import ROOT, facts_for, include_role, run_tasks

ROLE = Path(ROOT) / "roles" / "nvidia_driver"
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


RHEL_VERSION_CHOSEN = ("__nvidia_driver_dnf_version_lock", "__nvidia_driver_dnf_stale_locks",
                       "__nvidia_driver_dnf_install_state")
# `dnf -q versionlock list` on a host the role locked at 580.82.07 (branch pin, by package name),
# with an operator's exclude and an unrelated lock.
LOCKLIST_580_82 = ["nvidia-driver-3:580.82.07-1.el9.*", "kmod-nvidia-open-dkms-3:580.82.07-1.el9.*",
                   "nvidia-driver-cuda-libs-3:580.82.07-1.el9.*", "!nvidia-driver-3:580.65.06-1.el9.*",
                   "kernel-5.14.0-570.12.1.el9_6.*"]


def select_rhel(tmp_path, locklist, **role_vars):
    base = {"nvidia_driver_install_method": "cuda_repo", "nvidia_driver_branch": "580",
            "nvidia_driver_cuda_repo_base_url": "https://mirror.example/cuda/",
            "__nvidia_driver_dnf_locklist": {"stdout_lines": locklist}}
    return select(tmp_path, "rhel9", [HOPPER], chosen=CHOSEN + RHEL_CHOSEN + RHEL_VERSION_CHOSEN,
                  **dict(base, **role_vars))


def test_rhel9_exact_version_locks_it_and_releases_the_locks_of_another_version(tmp_path):
    run, chosen = select_rhel(tmp_path, LOCKLIST_580_82, nvidia_driver_version="580.95.05")
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_dnf_module"] == "nvidia-driver:580-open"
    assert chosen["__nvidia_driver_dnf_version_lock"] == "*nvidia*-580.95.05-*"
    assert chosen["__nvidia_driver_dnf_stale_locks"] == LOCKLIST_580_82[:3]
    # The lock caps what "latest" may take from the stream: the exact version.
    assert chosen["__nvidia_driver_dnf_install_state"] == "latest"


def test_rhel9_exact_version_already_locked_releases_nothing(tmp_path):
    run, chosen = select_rhel(tmp_path, ["*nvidia*-580.95.05-*"], nvidia_driver_version="580.95.05")
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_dnf_stale_locks"] == []


def test_rhel9_branch_pin_keeps_its_locks_and_installs_present(tmp_path):
    run, chosen = select_rhel(tmp_path, LOCKLIST_580_82)
    assert not run.failed, run.failure_messages()
    assert chosen["__nvidia_driver_dnf_version_lock"] == ""
    assert chosen["__nvidia_driver_dnf_stale_locks"] == []
    assert chosen["__nvidia_driver_dnf_install_state"] == "present"


@pytest.mark.parametrize("version", ["580.95.05-1.el9", "580.95.05-*", "580.*"])
def test_rhel9_exact_version_with_a_release_or_wildcard_is_refused(tmp_path, version):
    run, _chosen = select_rhel(tmp_path, [], nvidia_driver_version=version)
    assert run.failed
    assert any("must be a driver version such as 580.95.05 on RedHat" in m for m in run.failure_messages()), \
        run.failure_messages()


def test_rhel9_upgrade_entry_point_moves_to_the_exact_target_across_branches(tmp_path):
    """tasks_from: upgrade on RHEL 9: the target's branch stream and its exact version, the old locks released."""
    show = {"name": "Show the choice", "ansible.builtin.debug": {"msg": {
        name: "{{ %s }}" % name for name in RHEL_CHOSEN + RHEL_VERSION_CHOSEN + ("nvidia_driver_version",)}}}
    stop = {"name": "Stop before the host is touched", "ansible.builtin.meta": "end_play"}
    extra = {"__nvidia_driver_pci_devices_dir": pci_tree(tmp_path, HOPPER), "nvidia_driver_install_method": "cuda_repo",
             "nvidia_driver_cuda_repo_base_url": "https://mirror.example/cuda/", "nvidia_driver_upgrade_version": "580.95.05",
             "__nvidia_driver_dnf_locklist": {"stdout_lines": ["nvidia-driver-3:570.172.08-1.el9.*"]}}
    # The upgrade entry point runs main.yml with the variables of its include task (read from the
    # role's upgrade.yml, not copied); select.yml is main's first step, read before any package task.
    upgrade = yaml.safe_load((ROLE / "tasks" / "upgrade.yml").read_text())
    play_vars = next(t["vars"] for t in upgrade if "ansible.builtin.include_tasks" in t)
    run = run_tasks(tmp_path, [dict(include_role("nvidia_driver", "select", public=True), vars=play_vars),
                               dict(show, vars=play_vars), stop],
                    facts_for("rhel9"), extra)
    assert not run.failed, run.failure_messages()
    chosen = run.result("Show the choice")["msg"]
    assert chosen["__nvidia_driver_dnf_module"] == "nvidia-driver:580-open"
    assert chosen["__nvidia_driver_dnf_version_lock"] == "*nvidia*-580.95.05-*"
    assert chosen["__nvidia_driver_dnf_stale_locks"] == ["nvidia-driver-3:570.172.08-1.el9.*"]


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


# A throwaway ed25519 key made for the tests (also in tests/integration/site/site_check_vars.yml).
SITE_KEY = """-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaw+hhBYJKwYBBAHaRw8BAQdAdqLSxothTR389M0U4MDiFxKhcx/5nB98T+P6
N4J8NOm0OmdwdWZsZWV0IHNpdGUtY2hlY2sgc3RhbmQtaW4gPHNpdGUtY2hlY2tA
Z3B1ZmxlZXQuaW52YWxpZD6IjwQTFggAOBYhBGZYQNwX7SYWdYKmVv0o3PuRFcy/
BQJrD6GEAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEP0o3PuRFcy/TfgA
9RnFqcK3blMPUBH7CTIUjHJHNwbBw+pa3XyXg11Ki/0BAKM2lDFlCMct/agmeMR8
gObD0m3FHRxmd7w0BACwq/MN
=2Zne
-----END PGP PUBLIC KEY BLOCK-----
"""
SITE_KEY_FINGERPRINT = "665840DC17ED26167582A656FD28DCFB9115CCBF"


def cuda_key(tmp_path, platform, **role_vars):
    extra = {"__nvidia_driver_pci_devices_dir": pci_tree(tmp_path, HOPPER), "nvidia_driver_install_method": "cuda_repo",
             "nvidia_driver_branch": "580", "nvidia_driver_cuda_repo_base_url": "https://mirror.example/cuda/",
             "nvidia_driver_cuda_repo_key_content": SITE_KEY,
             "nvidia_driver_cuda_repo_keyring": str(tmp_path / "keyring.asc")}
    extra.update(role_vars)
    return run_tasks(tmp_path, [include_role("nvidia_driver", "select", public=True),
                                include_role("nvidia_driver", "repository_cuda_key")],
                     facts_for(platform, kernel="6.1.0-37-amd64"), extra)


@pytest.mark.parametrize("platform,pinned", [
    ("debian12", "EB693B3035CD5710E231E123A4B469963BF863CC"),
    ("ubuntu2204", "EB693B3035CD5710E231E123A4B469963BF863CC"),
    ("ubuntu2404", "EB693B3035CD5710E231E123A4B469963BF863CC"),
    ("rhel9", "610C7B14E068A878070DA4E99CD0A493D42D0685"),
])
def test_a_cuda_key_that_is_not_nvidias_is_refused(tmp_path, platform, pinned):
    run = cuda_key(tmp_path, platform)
    assert run.failed
    assert any(SITE_KEY_FINGERPRINT in m and "not the pinned " + pinned in m for m in run.failure_messages()), \
        run.failure_messages()
    assert not (tmp_path / "keyring.asc").exists()


def test_a_site_key_with_its_fingerprint_pinned_is_installed(tmp_path):
    run = cuda_key(tmp_path, "rhel9", nvidia_driver_cuda_repo_key_fingerprint=SITE_KEY_FINGERPRINT.lower())
    assert not run.failed, run.failure_messages()
    assert run.result("Install the CUDA repository signing key")["changed"]
