"""Properties of the site plan's overlap rule over random IPv4 networks: it agrees with netaddr's own
answer (do the two address ranges share an address?) and does not depend on which site or field
comes first."""
from __future__ import annotations

import netaddr
from hypothesis import given, settings, strategies as st

from ansible_collections.gpufleet.datacenter.plugins.module_utils.site_plan import validate_plan


@st.composite
def networks(draw, within="10.0.0.0/8", min_prefix=9, max_prefix=28):
    """A network inside `within`, with its host bits clear."""
    outer = netaddr.IPNetwork(within)
    prefix = draw(st.integers(min_prefix, max_prefix))
    block = 2 ** (32 - prefix)
    start = draw(st.integers(0, outer.size // block - 1)) * block
    return netaddr.IPNetwork("%s/%d" % (netaddr.IPAddress(outer.first + start), prefix))


def site(index, host, pod, service):
    return {
        "gpufleet_region": "region", "gpufleet_kube_api": "https://api-%d.example.com:6443" % index,
        "gpufleet_kubeconfig": "/etc/gpufleet/site-%d.yaml" % index,
        "gpufleet_network": {"host_cidr": str(host), "pod_cidr": str(pod), "service_cidr": str(service),
                             "server_endpoint": str(netaddr.IPAddress(host.first + 1))},
        "gpufleet_gpu": {"product": "NVIDIA-H100-80GB-HBM3", "count_per_node": 8},
        "gpufleet_rollout_wave": 1,
    }


def share_an_address(a, b):
    return bool(netaddr.IPSet([a]) & netaddr.IPSet([b]))


def overlap_errors(sites):
    return [e for e in validate_plan(sites, []) if "overlaps" in e]


HOST_A, HOST_B = netaddr.IPNetwork("192.168.1.0/24"), netaddr.IPNetwork("192.168.2.0/24")
SERVICE_A, SERVICE_B = netaddr.IPNetwork("172.16.0.0/16"), netaddr.IPNetwork("172.17.0.0/16")


@settings(deadline=None)
@given(networks(), networks())
def test_pod_networks_of_two_sites_overlap_exactly_when_netaddr_says_so_either_way_round(pod_a, pod_b):
    forward = overlap_errors({"a-site": site(1, HOST_A, pod_a, SERVICE_A), "b-site": site(2, HOST_B, pod_b, SERVICE_B)})
    backward = overlap_errors({"a-site": site(1, HOST_A, pod_b, SERVICE_A), "b-site": site(2, HOST_B, pod_a, SERVICE_B)})
    expected = 1 if share_an_address(pod_a, pod_b) else 0
    assert len(forward) == len(backward) == expected, (forward, backward)


@settings(deadline=None)
@given(networks(), networks())
def test_pod_and_service_network_of_one_site_overlap_exactly_when_netaddr_says_so(pod, service):
    found = overlap_errors({"a-site": site(1, HOST_A, pod, service)})
    swapped = overlap_errors({"a-site": site(1, HOST_A, service, pod)})
    expected = 1 if share_an_address(pod, service) else 0
    assert len(found) == len(swapped) == expected, (found, swapped)
