"""release_check's action plugin reads the sites from the inventory's kube_api hosts."""
import os

from ansible_collections.gpufleet.datacenter.plugins.action.release_check import (
    fleet_sites, project_dir, sites_from_inventory)


def test_sites_and_fleet_from_the_kube_api_hosts():
    groups = {"kube_api": ["api-eu", "api-us"], "sites": ["api-eu", "api-us", "gpu-1"]}
    hostvars = {
        "api-eu": {"gpufleet_site": "eu", "gpufleet_rollout_wave": 1, "gpufleet_gpu": {"product": "H100"},
                   "gpufleet_kubeconfig": "/k/eu", "gpufleet_kube_context": "eu", "gpufleet_runtime_class": "none",
                   "gpufleet_kube_ca_cert": "/ca/eu.pem"},
        "api-us": {"gpufleet_rollout_wave": 2, "gpufleet_kubeconfig": "/k/us"},
        "gpu-1": {"gpufleet_site": "eu"},
    }
    sites, fleet = sites_from_inventory(groups, hostvars)
    assert sites == [
        {"name": "eu", "host": "api-eu", "wave": 1, "gpu_product": "H100", "runtime_class": "none",
         "prometheus_url": None},
        {"name": "api-us", "host": "api-us", "wave": 2, "gpu_product": None, "runtime_class": None,
         "prometheus_url": None},
    ]
    assert fleet == [{"name": "eu", "kubeconfig": "/k/eu", "context": "eu", "ca_cert": "/ca/eu.pem"},
                     {"name": "api-us", "kubeconfig": "/k/us", "context": None, "ca_cert": None}]
    assert sites_from_inventory({}, {}) == ([], [])


def test_every_host_naming_a_site_makes_the_fleet():
    hostvars = {"api-eu": {"gpufleet_site": "eu"}, "gpu-1": {"gpufleet_site": "eu"}, "gpu-9": {"gpufleet_site": "mars"},
                "localhost": {}}
    assert fleet_sites(hostvars, ["api-eu", "gpu-1", "gpu-9", "localhost"]) == {
        "eu": ["api-eu", "gpu-1"], "mars": ["gpu-9"]}


def test_reports_live_in_the_project_not_the_current_directory(tmp_path):
    (tmp_path / "playbooks").mkdir()
    assert project_dir(str(tmp_path / "playbooks")) == os.path.realpath(tmp_path)
    assert project_dir(str(tmp_path)) == os.path.realpath(tmp_path)
    assert project_dir(None) is None
