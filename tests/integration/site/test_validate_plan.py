"""`playbooks/validate.yml` against inventories on disk: every plan fault named in one run.

No lab needed: validate.yml reads the inventory only. One temporary inventory carries every fault
the site plan refuses across sites (CIDRs, endpoints, APIs, kubeconfigs, kube_api hosts, two groups
for one site, a group_vars file that does not parse); one run must name each, with its site, host or
field and the conflicting value. The example inventory and the lab's inventory shape must validate.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playbook_json import REPO, failures, run_playbook

VALIDATE = REPO / "playbooks" / "validate.yml"
TASK = "Check every site's networks, endpoints, API host, quorum and wave"


def site(name, host_cidr, pod, svc, endpoint, api, kubeconfig, wave, context=None):
    out = {
        "gpufleet_site": name,
        "gpufleet_region": "region-%s" % name,
        "gpufleet_kube_api": api,
        "gpufleet_kubeconfig": kubeconfig,
        "gpufleet_network": {"host_cidr": host_cidr, "pod_cidr": pod, "service_cidr": svc, "server_endpoint": endpoint},
        "gpufleet_gpu": {"product": "NVIDIA-H100-80GB-HBM3", "count_per_node": 8},
        "gpufleet_rollout_wave": wave,
    }
    if context:
        out["gpufleet_kube_context"] = context
    return out


# Sites sort ams < fra < nyc < sgp: faults are set up in both orders (the earlier or the later site
# holding the wider network).
SITE_VARS = {
    # Its host network covers fra's.
    "ams": site("ams", "10.1.0.0/16", "10.101.0.0/16", "10.201.0.0/16", "10.1.0.10",
                "https://10.1.0.10:6443", "/etc/gpufleet/ams.yaml", 1, context="ams"),
    # Its VIP is its own GPU agent; it calls ams's API; no host in kube_api.
    "fra": site("fra", "10.1.2.0/24", "10.102.0.0/16", "10.202.0.0/16", "10.1.2.21",
                "https://10.1.0.10:6443", "/etc/gpufleet/fra.yaml", 2),
    # ams's kubeconfig and context; its endpoint is its own first server (valid).
    "nyc": site("nyc", "10.3.0.0/24", "10.103.0.0/16", "10.203.0.0/16", "10.3.0.11",
                "https://10.3.0.11:6443", "/etc/gpufleet/ams.yaml", 3, context="ams"),
    # Its pod network covers nyc's hosts.
    "sgp": site("sgp", "10.5.0.0/24", "10.3.0.0/16", "10.205.0.0/16", "10.5.0.10",
                "https://10.5.0.10:6443", "/etc/gpufleet/sgp.yaml", 4),
}
GROUPS = {
    "ams": {"api-ams": None, "ams-cp-01": {"ansible_host": "10.1.0.11"}},
    "fra": {"fra-cp-01": {"ansible_host": "10.1.2.11"}, "fra-gpu-01": {"ansible_host": "10.1.2.21"}},
    # nyc-gpu-01 has ams-cp-01's address.
    "nyc": {"api-nyc": None, "nyc-cp-01": {"ansible_host": "10.3.0.11"}, "nyc-gpu-01": {"ansible_host": "10.1.0.11"}},
    "sgp": {"api-sgp": None, "sgp-cp-01": {"ansible_host": "10.5.0.11"}},
    # A second datacenter whose group_vars were copied from sgp's and never edited.
    "sgp_b": {"api-sgp-b": None, "sgp-gpu-01": {"ansible_host": "10.5.0.21"}},
    # Its group_vars file does not parse.
    "lon": {"api-lon": None, "lon-cp-01": {"ansible_host": "10.7.0.11"}},
}
ROLES = {
    "kube_api": ["api-ams", "api-nyc", "api-sgp", "api-sgp-b", "api-lon"],
    "k3s_server": ["ams-cp-01", "fra-cp-01", "nyc-cp-01", "sgp-cp-01", "lon-cp-01"],
    "k3s_agent": ["fra-gpu-01", "nyc-gpu-01", "sgp-gpu-01"],
    "gpu": ["fra-gpu-01", "nyc-gpu-01", "sgp-gpu-01"],
}
BROKEN_YAML = "gpufleet_site: lon\ngpufleet_region: europe\n  gpufleet_rollout_wave: [5\n"

EXPECTED = [
    # the earlier site holds the wider host network
    "site ams: gpufleet_network.host_cidr 10.1.0.0/16 overlaps site fra gpufleet_network.host_cidr 10.1.2.0/24",
    # the later site's pod network covers an earlier site's hosts
    "site nyc: gpufleet_network.host_cidr 10.3.0.0/24 overlaps site sgp gpufleet_network.pod_cidr 10.3.0.0/16",
    "site fra: gpufleet_network.server_endpoint 10.1.2.21 is the address of host fra-gpu-01 (site fra), "
    "which is not a k3s_server of site fra",
    "site fra: gpufleet_kube_api https://10.1.0.10:6443 is also the API of site ams (gpufleet_kube_api https://10.1.0.10:6443)",
    "site nyc: gpufleet_kubeconfig /etc/gpufleet/ams.yaml with gpufleet_kube_context ams is also what site ams uses to reach its API",
    "site fra: no host in the kube_api group",
    "site sgp: inventory groups sgp, sgp_b all set gpufleet_site sgp",
    "site sgp: 2 hosts in the kube_api group (api-sgp, api-sgp-b)",
    "site nyc: host nyc-gpu-01: address 10.1.0.11 is already used by host ams-cp-01 (site ams)",
]


def write_inventory(root: Path, groups: dict, site_vars: dict, roles: dict) -> Path:
    hosts = {"all": {"children": {
        "sites": {"children": {g: {"hosts": h} for g, h in groups.items()}},
        **{role: {"hosts": {h: None for h in names}} for role, names in roles.items()},
    }}}
    (root / "group_vars").mkdir(parents=True)
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (root / "group_vars" / "kube_api.yml").write_text(
        "ansible_connection: local\nansible_python_interpreter: '{{ ansible_playbook_python }}'\n")
    for group, svars in site_vars.items():
        (root / "group_vars" / ("%s.yml" % group)).write_text(yaml.safe_dump(svars, sort_keys=False))
    return root


def plan_result(doc: dict) -> dict:
    results = [res for play in doc["plays"] for task in play["tasks"] if task["task"]["name"] == TASK
               for res in task["hosts"].values()]
    assert len(results) == 1, (doc["rc"], failures(doc), doc["stderr"][-3000:])
    return results[0]


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("faulty-inventory")
    write_inventory(root, GROUPS, dict(SITE_VARS, sgp_b=SITE_VARS["sgp"]), ROLES)
    (root / "group_vars" / "lon.yml").write_text(BROKEN_YAML)
    return root, run_playbook(VALIDATE, [root], {})


def test_every_fault_is_named_in_one_run(faulty_run):
    _root, doc = faulty_run
    result = plan_result(doc)
    assert doc["rc"] != 0 and result["failed"]
    text = "\n".join(result["errors"])
    missing = [e for e in EXPECTED if e not in text]
    assert missing == [], text
    # The summary line the operator reads carries the same list.
    assert all(e in result["msg"] for e in EXPECTED)


def test_a_group_vars_file_that_does_not_parse_is_named(faulty_run):
    root, doc = faulty_run
    errors = plan_result(doc)["errors"]
    named = [e for e in errors if e.startswith("inventory file %s:" % (root / "group_vars" / "lon.yml"))]
    assert len(named) == 1, errors
    assert "api-lon, lon-cp-01" in named[0]


def test_the_example_inventory_validates():
    doc = run_playbook(VALIDATE, [REPO / "inventories" / "example"], {})
    assert doc["rc"] == 0, failures(doc)
    assert plan_result(doc)["errors"] == []


def test_the_lab_inventory_shape_validates(tmp_path, monkeypatch):
    """The inventory `python -m lab up` writes (lab/inventory.py), for the default sites, without starting them."""
    monkeypatch.syspath_prepend(str(REPO))
    from lab import inventory as lab_inventory
    from lab.config import default_config

    cfg = default_config()
    doc = lab_inventory.hosts_doc(cfg)
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(doc))
    for s in cfg.sites:
        (tmp_path / "group_vars" / ("%s.yml" % s.group)).write_text(yaml.safe_dump(lab_inventory.group_vars(s)))
    run = run_playbook(VALIDATE, [tmp_path], {})
    assert run["rc"] == 0, failures(run)
    assert sorted(plan_result(run)["sites"]) == sorted(s.name for s in cfg.sites)
