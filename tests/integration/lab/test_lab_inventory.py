"""inventories/lab follows the site inventory model, so playbooks run unchanged against it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab


def ansible_inventory(inv: Path) -> dict:
    exe = Path(sys.executable).with_name("ansible-inventory")
    res = subprocess.run([str(exe), "-i", str(inv), "--list"], capture_output=True, text=True, check=True,
                         env={**os.environ, "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"})
    return json.loads(res.stdout)


def test_sites_groups_hosts_and_vars(lab):
    data = ansible_inventory(lab.inventory)
    assert sorted(data["sites"]["children"]) == sorted(s.group for s in lab.sites)
    assert sorted(data["kube_api"]["hosts"]) == sorted(f"api-{s.name}" for s in lab.sites)
    hostvars = data["_meta"]["hostvars"]
    waves = []
    for s in lab.sites:
        assert data[s.group]["hosts"] == [f"api-{s.name}"]
        v = hostvars[f"api-{s.name}"]
        assert v["ansible_connection"] == "local"
        assert v["gpufleet_site"] == s.name and v["gpufleet_region"] == s.region
        assert v["gpufleet_kube_api"] == s.api_url
        assert Path(v["gpufleet_kubeconfig"]).is_absolute() and Path(v["gpufleet_kubeconfig"]).is_file()
        assert v["gpufleet_kube_context"] == s.context
        assert v["gpufleet_gpu"] == {"product": s.gpu_product, "count_per_node": s.gpus_per_node}
        net = v["gpufleet_network"]
        assert net["server_endpoint"] == s.address
        waves.append(v["gpufleet_rollout_wave"])
    assert sorted(waves) == list(range(1, len(lab.sites) + 1))


def test_networks_contain_address_and_do_not_overlap(lab):
    import ipaddress

    nets = []
    for s in lab.sites:
        assert ipaddress.ip_address(s.address) in ipaddress.ip_network(s.host_cidr)
        nets += [ipaddress.ip_network(c) for c in (s.host_cidr, s.pod_cidr, s.service_cidr)]
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            assert not a.overlaps(b), f"{a} overlaps {b}"


def test_kube_api_hosts_reach_their_site_through_ansible(lab):
    """kubernetes.core.k8s_info with the inventory's kubeconfig/context lists each site's GPU nodes."""
    exe = Path(sys.executable).with_name("ansible")
    repo = Path(__file__).resolve().parents[3]
    env = {"ANSIBLE_CONFIG": str(repo / "ansible.cfg"), **os.environ}
    res = subprocess.run(
        [str(exe), "kube_api", "-i", str(lab.inventory), "-m", "kubernetes.core.k8s_info",
         "-a", "kind=Node kubeconfig={{ gpufleet_kubeconfig }} context={{ gpufleet_kube_context }}",
         "-o"], cwd=repo, capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    for s in lab.sites:
        line = next(li for li in res.stdout.splitlines() if li.startswith(f"api-{s.name} "))
        assert line.count(f'"{s.name}-gpu-') >= s.nodes, line[:300]
