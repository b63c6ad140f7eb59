"""site_plan's action reads the plan from a real inventory: site groups, and files that do not parse."""
import textwrap

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.gpufleet.datacenter.plugins.action.site_plan import plan_from_inventory, site_groups
from ansible_collections.gpufleet.datacenter.plugins.modules.site_plan import execute

HOSTS = """\
all:
  children:
    sites:
      children:
        eu_west:
          hosts:
            api-eu-west:
            eu-cp-01: {ansible_host: 10.10.0.11}
        us_east:
          hosts:
            api-us-east:
            us-cp-01: {ansible_host: 10.20.0.11}
    kube_api:
      hosts:
        api-eu-west:
        api-us-east:
    k3s_server:
      hosts:
        eu-cp-01:
        us-cp-01:
"""


def site_vars(name, octet, wave):
    return textwrap.dedent("""\
        gpufleet_site: {name}
        gpufleet_region: {name}
        gpufleet_kube_api: https://10.{octet}.0.11:6443
        gpufleet_kubeconfig: /etc/gpufleet/{name}.yaml
        gpufleet_network:
          host_cidr: 10.{octet}.0.0/24
          pod_cidr: 10.{pod}.0.0/16
          service_cidr: 10.{svc}.0.0/16
          server_endpoint: 10.{octet}.0.11
        gpufleet_gpu:
          product: NVIDIA-H100-80GB-HBM3
          count_per_node: 8
        gpufleet_rollout_wave: {wave}
        """).format(name=name, octet=octet, pod=octet + 100, svc=octet + 200, wave=wave)


@pytest.fixture
def inventory_dir(tmp_path):
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(HOSTS)
    (tmp_path / "group_vars" / "eu_west.yml").write_text(site_vars("eu-west", 10, 1))
    (tmp_path / "group_vars" / "us_east.yml").write_text(site_vars("us-east", 20, 2))
    return tmp_path


def read_plan(path):
    """What the action does with a play's task_vars, on an inventory loaded as ansible-playbook loads it."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path / "hosts.yml")])
    hostvars = HostVars(inventory, VariableManager(loader=loader, inventory=inventory), loader)
    return plan_from_inventory(inventory.get_groups_dict(), hostvars, site_groups(inventory))


def test_a_well_formed_inventory_validates(inventory_dir):
    sites, hosts, errors = read_plan(inventory_dir)
    assert errors == []
    assert sorted(sites) == ["eu-west", "us-east"]
    assert {h["name"]: h["group"] for h in hosts} == {
        "api-eu-west": "eu_west", "eu-cp-01": "eu_west", "api-us-east": "us_east", "us-cp-01": "us_east"}
    assert execute({"sites": sites, "hosts": hosts})[1] is None


def test_broken_group_vars_file_is_named_and_other_sites_still_checked(inventory_dir):
    broken = inventory_dir / "group_vars" / "us_east.yml"
    broken.write_text(site_vars("us-east", 20, 2) + "gpufleet_extra: 1\n  oops: [unclosed\n")
    sites, hosts, errors = read_plan(inventory_dir)
    assert len(errors) == 1, errors
    assert errors[0].startswith("inventory file %s:" % broken), errors
    assert "YAML" in errors[0] and "api-us-east, us-cp-01" in errors[0]
    # The readable site is still judged in the same run.
    assert sorted(sites) == ["eu-west"]


def test_broken_host_vars_file_is_named(inventory_dir):
    broken = inventory_dir / "host_vars" / "eu-cp-01.yml"
    broken.write_text("ansible_host: [10.10.0.11\n")
    _sites, hosts, errors = read_plan(inventory_dir)
    assert len(errors) == 1 and errors[0].startswith("inventory file %s:" % broken), errors
    assert "eu-cp-01" in errors[0] and "api-eu-west" not in errors[0]
    assert "eu-cp-01" not in {h["name"] for h in hosts}


def test_two_groups_with_one_site_name_are_refused(inventory_dir):
    # A second datacenter whose group_vars were copied from the first and not edited.
    (inventory_dir / "hosts.yml").write_text(HOSTS.replace(
        "        us_east:\n", "        eu_central:\n          hosts:\n            api-eu-central:\n        us_east:\n").replace(
        "        api-us-east:\n", "        api-us-east:\n        api-eu-central:\n"))
    (inventory_dir / "group_vars" / "eu_central.yml").write_text(site_vars("eu-west", 10, 1))
    sites, hosts, errors = read_plan(inventory_dir)
    assert errors == []  # identical variables: nothing differs host by host
    _result, error = execute({"sites": sites, "hosts": hosts})
    assert "site eu-west: inventory groups eu_central, eu_west all set gpufleet_site eu-west" in error
    assert "site eu-west: 2 hosts in the kube_api group (api-eu-central, api-eu-west)" in error


def test_nested_groups_belong_to_their_site_group(inventory_dir):
    (inventory_dir / "hosts.yml").write_text(HOSTS.replace(
        "            eu-cp-01: {ansible_host: 10.10.0.11}\n",
        "          children:\n            eu_rack_1:\n              hosts:\n                eu-cp-01: {ansible_host: 10.10.0.11}\n"))
    _sites, hosts, errors = read_plan(inventory_dir)
    assert errors == []
    assert {h["name"]: h["group"] for h in hosts}["eu-cp-01"] == "eu_west"
    assert execute({"sites": _sites, "hosts": hosts})[1] is None
