"""CIDR overlap in a site plan is checked both ways: whichever of two networks is the wider one,
and whichever site or field comes first in the check's order, an overlap is reported."""
from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.site_plan import validate_plan


def site(index, host, pod, service):
    return {
        "gpufleet_region": "region-%d" % index,
        "gpufleet_kube_api": "https://api-%d.example.com:6443" % index,
        "gpufleet_kubeconfig": "/etc/gpufleet/site-%d.yaml" % index,
        "gpufleet_network": {"host_cidr": host, "pod_cidr": pod, "service_cidr": service,
                             "server_endpoint": host.split("/")[0][:-1] + "10"},
        "gpufleet_gpu": {"product": "NVIDIA-H100-80GB-HBM3", "count_per_node": 8},
        "gpufleet_rollout_wave": index,
    }


def overlaps(sites):
    return [e for e in validate_plan(sites, []) if "overlaps" in e]


# Site names sort a-site < b-site: the check meets a-site's networks first.
@pytest.mark.parametrize("a_pod, b_pod", [
    ("10.48.0.0/12", "10.52.0.0/16"),   # the earlier site holds the wider network
    ("10.52.0.0/16", "10.48.0.0/12"),   # the later site holds the wider network
    ("10.52.0.0/16", "10.52.0.0/16"),   # the same network
])
def test_pod_networks_of_two_sites_overlap_whichever_is_wider(a_pod, b_pod):
    sites = {"a-site": site(1, "192.168.1.0/24", a_pod, "172.16.0.0/16"),
             "b-site": site(2, "192.168.2.0/24", b_pod, "172.17.0.0/16")}
    found = overlaps(sites)
    assert len(found) == 1, found
    assert a_pod in found[0] and b_pod in found[0] and "a-site" in found[0] and "b-site" in found[0]


@pytest.mark.parametrize("wider", ["a-site", "b-site"])
def test_service_network_covering_another_sites_pod_network_overlaps(wider):
    wide, narrow = "10.0.0.0/8", "10.52.0.0/16"
    sites = {"a-site": site(1, "192.168.1.0/24", "172.20.0.0/16", "172.16.0.0/16"),
             "b-site": site(2, "192.168.2.0/24", "172.21.0.0/16", "172.17.0.0/16")}
    other = "b-site" if wider == "a-site" else "a-site"
    sites[wider]["gpufleet_network"]["service_cidr"] = wide
    sites[other]["gpufleet_network"]["pod_cidr"] = narrow
    found = overlaps(sites)
    assert len(found) == 1, found
    assert wide in found[0] and narrow in found[0]


def test_disjoint_networks_do_not_overlap():
    sites = {"a-site": site(1, "192.168.1.0/24", "10.48.0.0/16", "172.16.0.0/16"),
             "b-site": site(2, "192.168.2.0/24", "10.52.0.0/16", "172.17.0.0/16")}
    assert overlaps(sites) == []


# Within a site the fields are checked in name order host_cidr < pod_cidr < service_cidr.
@pytest.mark.parametrize("first, second", [("host_cidr", "pod_cidr"), ("host_cidr", "service_cidr"),
                                           ("pod_cidr", "service_cidr")])
@pytest.mark.parametrize("first_is_wider", [True, False])
def test_networks_within_a_site_overlap_whichever_is_wider(first, second, first_is_wider):
    network = {"host_cidr": "192.168.1.0/24", "pod_cidr": "10.42.0.0/16", "service_cidr": "10.43.0.0/16"}
    wide, narrow = "192.168.0.0/16", "192.168.1.0/24"
    if first == "host_cidr" and not first_is_wider:
        # The host network must keep holding the server endpoint: narrow it around it.
        wide, narrow = "192.168.1.0/24", "192.168.1.0/25"
    network[first], network[second] = (wide, narrow) if first_is_wider else (narrow, wide)
    if first != "host_cidr":
        network["host_cidr"] = "172.31.1.0/24"
    sites = {"a-site": site(1, network["host_cidr"], network["pod_cidr"], network["service_cidr"])}
    found = overlaps(sites)
    assert len(found) == 1, found
    assert first in found[0] and second in found[0]
