"""playbooks/validate.yml on the example inventory and on a broken copy of it."""
import os
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EXAMPLE = os.path.join(ROOT, "inventories", "example")


def run_validate(inventory):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return subprocess.run([playbook, "-i", inventory, os.path.join(ROOT, "playbooks", "validate.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_example_inventory_is_valid():
    proc = run_validate(EXAMPLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 sites valid" in proc.stdout


def test_broken_copy_fails_naming_both_errors(tmp_path):
    inv = tmp_path / "broken"
    shutil.copytree(EXAMPLE, inv)
    us_vars = inv / "group_vars" / "us_east.yml"
    data = yaml.safe_load(us_vars.read_text())
    data["gpufleet_network"]["pod_cidr"] = "10.42.0.0/16"  # eu-west's pod CIDR
    us_vars.write_text(yaml.safe_dump(data))
    hosts = inv / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("eu-west-gpu-02: {ansible_host: 10.10.0.22}",
                                               "eu-west-gpu-02: {ansible_host: 10.99.0.22}"))

    proc = run_validate(str(inv))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Site plan has 2 error(s)" in out
    assert "site eu-west: gpufleet_network.pod_cidr 10.42.0.0/16 overlaps site us-east gpufleet_network.pod_cidr 10.42.0.0/16" in out
    assert "site eu-west: host eu-west-gpu-02: address 10.99.0.22 is outside gpufleet_network.host_cidr 10.10.0.0/24" in out


def test_site_var_overridden_on_one_host_is_reported(tmp_path):
    inv = tmp_path / "override"
    shutil.copytree(EXAMPLE, inv)
    (inv / "host_vars").mkdir(exist_ok=True)
    (inv / "host_vars" / "us-east-gpu-01.yml").write_text("gpufleet_rollout_wave: 7\n")
    proc = run_validate(str(inv))
    assert proc.returncode != 0
    assert "site us-east: host us-east-gpu-01: gpufleet_rollout_wave 7 differs from the site's value 2" in proc.stdout
