"""Rules of the site plan: each malformed plan yields an error naming site/host/field and value."""
import copy

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.site_plan import summarize, validate_plan


def site(wave, third_octet, pod, svc, product="NVIDIA-H100-80GB-HBM3"):
    return {
        "gpufleet_region": "region-%d" % wave,
        "gpufleet_kube_api": "https://10.%d.0.10:6443" % third_octet,
        "gpufleet_kubeconfig": "/etc/gpufleet/site-%d.yaml" % wave,
        "gpufleet_network": {
            "host_cidr": "10.%d.0.0/24" % third_octet,
            "pod_cidr": pod,
            "service_cidr": svc,
            "server_endpoint": "10.%d.0.10" % third_octet,
        },
        "gpufleet_gpu": {"product": product, "count_per_node": 8},
        "gpufleet_rollout_wave": wave,
    }


GOOD_SITES = {
    "eu-west": site(1, 10, "10.42.0.0/16", "10.43.0.0/16"),
    "us-east": site(2, 20, "10.52.0.0/16", "10.53.0.0/16"),
    "apac-south": site(3, 30, "10.62.0.0/16", "10.63.0.0/16", product="NVIDIA-L40S"),
}
GOOD_HOSTS = [
    {"name": "eu-cp-1", "site": "eu-west", "address": "10.10.0.11", "groups": ["k3s_server"]},
    {"name": "eu-cp-2", "site": "eu-west", "address": "10.10.0.12", "groups": ["k3s_server"]},
    {"name": "eu-cp-3", "site": "eu-west", "address": "10.10.0.13", "groups": ["k3s_server"]},
    {"name": "eu-gpu-1", "site": "eu-west", "address": "10.10.0.21", "groups": ["k3s_agent", "gpu"]},
    {"name": "us-cp-1", "site": "us-east", "address": "10.20.0.11", "groups": ["k3s_server", "gpu"]},
    {"name": "api-us", "site": "us-east", "address": "api-us", "groups": ["kube_api"]},
    {"name": "apac-cp-1", "site": "apac-south", "address": "10.30.0.11", "groups": ["k3s_server"]},
    # kube_api hosts stand for an API and run on the controller: their address is their name.
    {"name": "api-eu", "site": "eu-west", "address": "api-eu", "groups": ["kube_api"]},
    {"name": "api-apac", "site": "apac-south", "address": "api-apac", "groups": ["kube_api"]},
]


def plan():
    return copy.deepcopy(GOOD_SITES), copy.deepcopy(GOOD_HOSTS)


def test_good_plan_has_no_errors():
    assert validate_plan(*plan()) == []


def test_summary_lists_roles_and_waves():
    summary = summarize(*plan())
    assert summary["eu-west"]["servers"] == ["eu-cp-1", "eu-cp-2", "eu-cp-3"]
    assert summary["eu-west"]["gpu_hosts"] == ["eu-gpu-1"]
    assert summary["apac-south"]["wave"] == 3


def set_path(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    if value is DELETE:
        del data[last]
    else:
        data[last] = value


DELETE = object()

# (id, site mutations [(path, value)], host mutations [(index, key, value)] or extra hosts, expected fragments)
BAD_PLANS = [
    ("cidr-unparsable", [(("eu-west", "gpufleet_network", "pod_cidr"), "10.42.0.0/33")], [],
     ["site eu-west: gpufleet_network.pod_cidr", "10.42.0.0/33", "not a valid CIDR"]),
    ("cidr-not-a-cidr", [(("eu-west", "gpufleet_network", "service_cidr"), "banana")], [],
     ["site eu-west: gpufleet_network.service_cidr", "'banana'", "not a CIDR"]),
    ("cidr-host-bits", [(("us-east", "gpufleet_network", "pod_cidr"), "10.52.1.0/16")], [],
     ["site us-east: gpufleet_network.pod_cidr", "10.52.1.0/16", "host bits", "10.52.0.0/16"]),
    ("pod-overlaps-service-in-site", [(("eu-west", "gpufleet_network", "service_cidr"), "10.42.128.0/17")], [],
     ["site eu-west: gpufleet_network.pod_cidr 10.42.0.0/16 overlaps gpufleet_network.service_cidr 10.42.128.0/17"]),
    ("host-overlaps-pod-in-site", [(("eu-west", "gpufleet_network", "pod_cidr"), "10.10.0.0/16")], [],
     ["site eu-west: gpufleet_network.host_cidr 10.10.0.0/24 overlaps gpufleet_network.pod_cidr 10.10.0.0/16"]),
    ("pod-overlaps-across-sites", [(("us-east", "gpufleet_network", "pod_cidr"), "10.42.0.0/16")], [],
     ["gpufleet_network.pod_cidr 10.42.0.0/16 overlaps site us-east gpufleet_network.pod_cidr 10.42.0.0/16"]),
    ("service-overlaps-pod-across-sites", [(("apac-south", "gpufleet_network", "service_cidr"), "10.52.7.0/24")], [],
     ["site apac-south: gpufleet_network.service_cidr 10.52.7.0/24 overlaps site us-east gpufleet_network.pod_cidr 10.52.0.0/16"]),
    ("host-outside-site-cidr", [], [(3, "address", "10.20.0.99")],
     ["site eu-west: host eu-gpu-1: address 10.20.0.99 is outside gpufleet_network.host_cidr 10.10.0.0/24"]),
    ("host-address-duplicate", [], [(3, "address", "10.10.0.11")],
     ["site eu-west: host eu-gpu-1: address 10.10.0.11 is already used by host eu-cp-1 (site eu-west)"]),
    ("host-address-not-ip", [], [(4, "address", "us-cp-1.example.internal")],
     ["site us-east: host us-cp-1: ansible_host 'us-cp-1.example.internal' is not an IP address"]),
    ("even-server-count", [], [(3, "groups", ["k3s_server", "gpu"])],
     ["site eu-west: k3s_server count 4 must be odd"]),
    ("agents-without-server", [], [(6, "groups", ["k3s_agent"])],
     ["site apac-south: k3s_server count 0 must be odd"]),
    ("waves-not-contiguous", [(("apac-south", "gpufleet_rollout_wave"), 5)], [],
     ["no site is in wave 3", "no site is in wave 4", "waves used: 1, 2, 5"]),
    ("wave-not-int", [(("us-east", "gpufleet_rollout_wave"), "second")], [],
     ["site us-east: gpufleet_rollout_wave 'second' must be an integer >= 1"]),
    ("wave-zero", [(("us-east", "gpufleet_rollout_wave"), 0)], [],
     ["site us-east: gpufleet_rollout_wave 0 must be an integer >= 1"]),
    ("missing-region", [(("eu-west", "gpufleet_region"), DELETE)], [],
     ["site eu-west: gpufleet_region is required but not set"]),
    ("missing-kubeconfig", [(("us-east", "gpufleet_kubeconfig"), "")], [],
     ["site us-east: gpufleet_kubeconfig is required but not set"]),
    ("missing-network-field", [(("apac-south", "gpufleet_network", "service_cidr"), DELETE)], [],
     ["site apac-south: gpufleet_network.service_cidr is required but not set"]),
    ("network-not-mapping", [(("apac-south", "gpufleet_network"), "10.30.0.0/24")], [],
     ["site apac-south: gpufleet_network must be a mapping"]),
    ("api-not-https", [(("eu-west", "gpufleet_kube_api"), "http://10.10.0.10:6443")], [],
     ["site eu-west: gpufleet_kube_api 'http://10.10.0.10:6443' must be an https:// URL"]),
    ("gpu-count-invalid", [(("eu-west", "gpufleet_gpu", "count_per_node"), -1)], [],
     ["site eu-west: gpufleet_gpu.count_per_node -1 must be an integer >= 1"]),
    ("gpu-product-missing", [(("us-east", "gpufleet_gpu", "product"), "")], [],
     ["site us-east: gpufleet_gpu.product is required but not set"]),
    ("endpoint-outside-host-cidr", [(("us-east", "gpufleet_network", "server_endpoint"), "10.99.0.1")], [],
     ["site us-east: gpufleet_network.server_endpoint 10.99.0.1 is outside gpufleet_network.host_cidr 10.20.0.0/24"]),
    ("endpoint-not-ip", [(("us-east", "gpufleet_network", "server_endpoint"), "vip.us-east")], [],
     ["site us-east: gpufleet_network.server_endpoint 'vip.us-east' is not an IP address"]),
]


@pytest.mark.parametrize("case_id,site_changes,host_changes,expected", BAD_PLANS, ids=[c[0] for c in BAD_PLANS])
def test_bad_plan_is_reported_with_site_field_and_value(case_id, site_changes, host_changes, expected):
    sites, hosts = plan()
    for path, value in site_changes:
        set_path(sites, path, value)
    for index, key, value in host_changes:
        hosts[index][key] = value
    errors = validate_plan(sites, hosts)
    text = "\n".join(errors)
    for fragment in expected:
        assert fragment in text, "%r not in:\n%s" % (fragment, text)


def test_bad_site_name_is_reported():
    sites, hosts = plan()
    sites["EU_West"] = sites.pop("eu-west")
    for h in hosts:
        if h["site"] == "eu-west":
            h["site"] = "EU_West"
    assert any("site 'EU_West': gpufleet_site must be a DNS-1123 label" in e for e in validate_plan(sites, hosts))


def test_all_errors_are_reported_at_once():
    sites, hosts = plan()
    sites["us-east"]["gpufleet_network"]["pod_cidr"] = "10.42.0.0/16"
    hosts[0]["address"] = "192.168.1.1"
    sites["apac-south"]["gpufleet_rollout_wave"] = 4
    errors = validate_plan(sites, hosts)
    assert len(errors) == 3, errors


def test_site_without_k3s_hosts_needs_no_quorum():
    sites, hosts = plan()
    hosts = [h for h in hosts if h["site"] != "us-east"] + [
        {"name": "api-us", "site": "us-east", "address": "api-us", "groups": ["kube_api"]}]
    assert validate_plan(sites, hosts) == []


def test_empty_fleet_is_an_error():
    assert validate_plan({}, []) == ["no sites: the inventory has no hosts under the 'sites' group with readable site variables"]


def faulty(site_changes=(), host_changes=(), extra_hosts=(), drop_hosts=()):
    """validate_plan() of the good plan with the given changes: site (path, value), host (index, key, value)."""
    sites, hosts = plan()
    for path, value in site_changes:
        set_path(sites, path, value)
    for index, key, value in host_changes:
        hosts[index][key] = value
    hosts = [h for h in hosts if h["name"] not in drop_hosts] + [dict(h) for h in extra_hosts]
    return validate_plan(sites, hosts)


# Each fault of a complete plan, with every error it must produce (and no other).
PLAN_FAULTS = [
    ("site-without-kube-api-host", {"drop_hosts": ["api-eu"]},
     ["site eu-west: no host in the kube_api group (its hosts: eu-cp-1, eu-cp-2, eu-cp-3, eu-gpu-1); exactly one host per site stands for its Kubernetes API, "
      "without it the site is left out of every rollout"]),
    ("site-with-two-kube-api-hosts",
     {"extra_hosts": [{"name": "api-apac-2", "site": "apac-south", "address": "api-apac-2", "groups": ["kube_api"]}]},
     ["site apac-south: 2 hosts in the kube_api group (api-apac, api-apac-2); exactly one host per site stands for its "
      "Kubernetes API"]),
    # apac-south sorts first: the earlier site holds the wider network.
    ("host-cidr-of-earlier-site-covers-others",
     {"site_changes": [(("apac-south", "gpufleet_network", "host_cidr"), "10.0.0.0/11")]},
     ["site apac-south: gpufleet_network.host_cidr 10.0.0.0/11 overlaps site eu-west gpufleet_network.host_cidr 10.10.0.0/24",
      "site apac-south: gpufleet_network.host_cidr 10.0.0.0/11 overlaps site us-east gpufleet_network.host_cidr 10.20.0.0/24"]),
    # us-east sorts last: the later site holds the wider network.
    ("host-cidr-of-later-site-covers-others",
     {"site_changes": [(("us-east", "gpufleet_network", "host_cidr"), "10.0.0.0/11")]},
     ["site apac-south: gpufleet_network.host_cidr 10.30.0.0/24 overlaps site us-east gpufleet_network.host_cidr 10.0.0.0/11",
      "site eu-west: gpufleet_network.host_cidr 10.10.0.0/24 overlaps site us-east gpufleet_network.host_cidr 10.0.0.0/11"]),
    ("pod-cidr-covers-other-sites-host-cidr",
     {"site_changes": [(("us-east", "gpufleet_network", "pod_cidr"), "10.10.0.0/16")]},
     ["site eu-west: gpufleet_network.host_cidr 10.10.0.0/24 overlaps site us-east gpufleet_network.pod_cidr 10.10.0.0/16"]),
    ("service-cidr-inside-other-sites-host-cidr",
     {"site_changes": [(("apac-south", "gpufleet_network", "service_cidr"), "10.20.0.128/25")]},
     ["site apac-south: gpufleet_network.service_cidr 10.20.0.128/25 overlaps site us-east gpufleet_network.host_cidr 10.20.0.0/24"]),
    ("vip-is-an-agents-address",
     {"site_changes": [(("eu-west", "gpufleet_network", "server_endpoint"), "10.10.0.21")]},
     ["site eu-west: gpufleet_network.server_endpoint 10.10.0.21 is the address of host eu-gpu-1 (site eu-west), "
      "which is not a k3s_server of site eu-west"]),
    ("kube-api-address-is-another-sites-host",
     {"site_changes": [(("us-east", "gpufleet_kube_api"), "https://10.10.0.21:6443")]},
     ["site us-east: gpufleet_kube_api https://10.10.0.21:6443 is the address of host eu-gpu-1 (site eu-west), "
      "which is not a k3s_server of site us-east"]),
    ("same-api-url",
     {"site_changes": [(("us-east", "gpufleet_kube_api"), "https://10.10.0.10:6443")]},
     ["site us-east: gpufleet_kube_api https://10.10.0.10:6443 is also the API of site eu-west "
      "(gpufleet_kube_api https://10.10.0.10:6443)"]),
    # Spelled differently, the same server: host case, default port, trailing slash.
    ("same-api-url-spelled-differently",
     {"site_changes": [(("eu-west", "gpufleet_kube_api"), "https://API.eu.example:443/"),
                       (("us-east", "gpufleet_kube_api"), "https://api.eu.example")]},
     ["site us-east: gpufleet_kube_api https://api.eu.example is also the API of site eu-west "
      "(gpufleet_kube_api https://API.eu.example:443/)"]),
    ("same-kubeconfig-without-context",
     {"site_changes": [(("us-east", "gpufleet_kubeconfig"), "/etc/gpufleet/site-1.yaml")]},
     ["site us-east: gpufleet_kubeconfig /etc/gpufleet/site-1.yaml with gpufleet_kube_context unset (the kubeconfig's "
      "current context) is also what site eu-west uses to reach its API"]),
    ("same-kubeconfig-and-context",
     {"site_changes": [(("eu-west", "gpufleet_kube_context"), "prod"),
                       (("us-east", "gpufleet_kubeconfig"), "/etc/gpufleet/../gpufleet/site-1.yaml"),
                       (("us-east", "gpufleet_kube_context"), "prod")]},
     ["site us-east: gpufleet_kubeconfig /etc/gpufleet/../gpufleet/site-1.yaml with gpufleet_kube_context prod is also "
      "what site eu-west uses to reach its API"]),
    ("two-groups-one-site",
     {"host_changes": [(i, "group", "eu_west") for i in (0, 1, 2, 7)] + [(3, "group", "eu_central")]},
     ["site eu-west: inventory groups eu_central, eu_west all set gpufleet_site eu-west; each datacenter's group needs "
      "its own gpufleet_site (two datacenters merged into one?)"]),
    ("address-used-by-a-host-of-another-site",
     {"host_changes": [(6, "address", "10.30.0.12")],
      "extra_hosts": [{"name": "us-gpu-9", "site": "us-east", "address": "10.30.0.12", "groups": ["k3s_agent"]}]},
     ["site us-east: host us-gpu-9: address 10.30.0.12 is already used by host apac-cp-1 (site apac-south)",
      "site us-east: host us-gpu-9: address 10.30.0.12 is outside gpufleet_network.host_cidr 10.20.0.0/24"]),
]


@pytest.mark.parametrize("case_id,changes,expected", PLAN_FAULTS, ids=[c[0] for c in PLAN_FAULTS])
def test_incomplete_or_conflicting_plan_is_refused(case_id, changes, expected):
    assert sorted(faulty(**changes)) == sorted(expected)


# What the rules above must still accept.
PLAN_ACCEPTED = [
    # No VIP: the endpoint and the API are the site's first server.
    ("endpoint-is-own-server", [(("eu-west", "gpufleet_network", "server_endpoint"), "10.10.0.11"),
                                (("eu-west", "gpufleet_kube_api"), "https://10.10.0.11:6443")]),
    # One kubeconfig holding every site, told apart by context.
    ("one-kubeconfig-many-contexts", [(("eu-west", "gpufleet_kubeconfig"), "/etc/gpufleet/fleet.yaml"),
                                      (("eu-west", "gpufleet_kube_context"), "eu-west"),
                                      (("us-east", "gpufleet_kubeconfig"), "/etc/gpufleet/fleet.yaml"),
                                      (("us-east", "gpufleet_kube_context"), "us-east")]),
    # One API host, two ports: two API servers.
    ("same-host-other-port", [(("us-east", "gpufleet_kube_api"), "https://10.10.0.10:7443")]),
]


@pytest.mark.parametrize("case_id,site_changes", PLAN_ACCEPTED, ids=[c[0] for c in PLAN_ACCEPTED])
def test_plan_variants_that_stay_valid(case_id, site_changes):
    assert faulty(site_changes=site_changes) == []


def test_one_group_per_site_is_valid():
    sites, hosts = plan()
    for h in hosts:
        h["group"] = h["site"].replace("-", "_")
    assert validate_plan(sites, hosts) == []


def test_every_new_fault_is_reported_in_one_run():
    errors = faulty(
        site_changes=[(("us-east", "gpufleet_network", "pod_cidr"), "10.10.0.0/16"),
                      (("apac-south", "gpufleet_kube_api"), "https://10.10.0.10:6443")],
        drop_hosts=["api-us"])
    assert sorted(errors) == sorted([
        "site eu-west: gpufleet_network.host_cidr 10.10.0.0/24 overlaps site us-east gpufleet_network.pod_cidr 10.10.0.0/16",
        "site eu-west: gpufleet_kube_api https://10.10.0.10:6443 is also the API of site apac-south "
        "(gpufleet_kube_api https://10.10.0.10:6443)",
        "site us-east: no host in the kube_api group (its hosts: us-cp-1); exactly one host per site stands for its Kubernetes API, "
        "without it the site is left out of every rollout",
    ])


# Each fault with the whole list of errors it gives, word for word (what an operator reads).
EXACT_FAULTS = [
    ({"site_changes": [(("apac-south", "gpufleet_network"), "10.30.0.0/24")]},
     ["site apac-south: gpufleet_network must be a mapping with host_cidr, pod_cidr, service_cidr"]),
    ({"site_changes": [(("us-east", "gpufleet_network", "pod_cidr"), ""),
                       (("us-east", "gpufleet_network", "server_endpoint"), DELETE),
                       (("us-east", "gpufleet_network", "service_cidr"), None)]},
     ["site us-east: gpufleet_network.pod_cidr is required but not set",
      "site us-east: gpufleet_network.service_cidr is required but not set",
      "site us-east: gpufleet_network.server_endpoint is required but not set"]),
    ({"site_changes": [(("eu-west", "gpufleet_network", "pod_cidr"), "banana"),
                       (("eu-west", "gpufleet_network", "service_cidr"), "10.43.0.0/33"),
                       (("eu-west", "gpufleet_network", "host_cidr"), "10.10.0.1/24")]},
     ["site eu-west: gpufleet_network.host_cidr '10.10.0.1/24' has host bits set; the network is 10.10.0.0/24",
      "site eu-west: gpufleet_network.pod_cidr 'banana' is not a CIDR (expected address/prefix, e.g. 10.42.0.0/16)",
      "site eu-west: gpufleet_network.service_cidr '10.43.0.0/33' is not a valid CIDR: invalid IPNetwork 10.43.0.0/33"]),
    ({"site_changes": [(("us-east", "gpufleet_gpu"), "8xH100"), (("us-east", "gpufleet_rollout_wave"), True),
                       (("us-east", "gpufleet_kube_api"), "http://10.20.0.10:6443")]},
     ["site us-east: gpufleet_kube_api 'http://10.20.0.10:6443' must be an https:// URL with a host",
      "site us-east: gpufleet_rollout_wave True must be an integer >= 1",
      "site us-east: gpufleet_gpu must be a mapping with product and count_per_node",
      "gpufleet_rollout_wave: waves must be contiguous from 1; no site is in wave 2 (waves used: 1, 3)"]),
    ({"site_changes": [(("us-east", "gpufleet_gpu", "product"), None),
                       (("us-east", "gpufleet_gpu", "count_per_node"), "8")]},
     ["site us-east: gpufleet_gpu.product is required but not set",
      "site us-east: gpufleet_gpu.count_per_node '8' must be an integer >= 1"]),
    ({"site_changes": [(("eu-west", "gpufleet_region"), ""), (("eu-west", "gpufleet_gpu"), None)]},
     ["site eu-west: gpufleet_region is required but not set", "site eu-west: gpufleet_gpu is required but not set"]),
    ({"site_changes": [(("us-east", "gpufleet_network", "server_endpoint"), "vip"),
                       (("eu-west", "gpufleet_network", "server_endpoint"), "10.9.0.1")]},
     ["site eu-west: gpufleet_network.server_endpoint 10.9.0.1 is outside gpufleet_network.host_cidr 10.10.0.0/24",
      "site us-east: gpufleet_network.server_endpoint 'vip' is not an IP address"]),
    ({"site_changes": [(("eu-west", "gpufleet_network", "service_cidr"), "10.42.128.0/17")]},
     ["site eu-west: gpufleet_network.pod_cidr 10.42.0.0/16 overlaps gpufleet_network.service_cidr 10.42.128.0/17"]),
    ({"host_changes": [(3, "address", "eu-gpu-1.example"), (0, "address", "10.20.0.50")]},
     ["site eu-west: host eu-cp-1: address 10.20.0.50 is outside gpufleet_network.host_cidr 10.10.0.0/24",
      "site eu-west: host eu-gpu-1: ansible_host 'eu-gpu-1.example' is not an IP address"]),
    ({"host_changes": [(3, "groups", ["k3s_server"])]},
     ["site eu-west: k3s_server count 4 must be odd (1, 3, 5) for embedded etcd quorum"]),
    ({"site_changes": [(("apac-south", "gpufleet_rollout_wave"), 4), (("eu-west", "gpufleet_rollout_wave"), 2)]},
     ["gpufleet_rollout_wave: waves must be contiguous from 1; no site is in wave 1 (waves used: 2, 4)",
      "gpufleet_rollout_wave: waves must be contiguous from 1; no site is in wave 3 (waves used: 2, 4)"]),
    ({"site_changes": [(("us-east", "gpufleet_network", "server_endpoint"), "10.20.0.11"),
                       (("eu-west", "gpufleet_network", "server_endpoint"), "10.10.0.21"),
                       (("apac-south", "gpufleet_kube_api"), "https://10.10.0.21:6443")]},
     ["site apac-south: gpufleet_kube_api https://10.10.0.21:6443 is the address of host eu-gpu-1 (site eu-west), "
      "which is not a k3s_server of site apac-south",
      "site eu-west: gpufleet_network.server_endpoint 10.10.0.21 is the address of host eu-gpu-1 (site eu-west), "
      "which is not a k3s_server of site eu-west"]),
]


@pytest.mark.parametrize("changes, expected", EXACT_FAULTS)
def test_each_fault_gives_exactly_its_errors(changes, expected):
    assert faulty(**changes) == expected


# Rules the mutation run found untested (docs/testing.md): one API named two ways, an API URL that
# does not parse, an empty endpoint, a bad site name's whole message, and a site with missing
# variables whose network is still checked.
def api_clash(errors):
    return [e for e in errors if "is also the API of site" in e]


@pytest.mark.parametrize("first, second", [
    ("http://10.10.0.10", "http://10.10.0.10:80"),  # plain http's default port, written or not
    ("https://10.10.0.10:6443/k8s/", "https://10.10.0.10:6443/k8s"),  # a trailing slash on the path
    ("https://API.example.com:6443", "https://api.example.com:6443"),  # host names are case-blind
])
def test_one_api_named_two_ways_is_one_api(first, second):
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_kube_api"] = first
    sites["us-east"]["gpufleet_kube_api"] = second
    assert api_clash(validate_plan(sites, hosts)) == [
        "site us-east: gpufleet_kube_api %s is also the API of site eu-west (gpufleet_kube_api %s)" % (second, first)]


def test_two_paths_on_one_server_are_two_apis():
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_kube_api"] = "https://10.10.0.10:6443/eu"
    sites["us-east"]["gpufleet_kube_api"] = "https://10.10.0.10:6443/us"
    assert api_clash(validate_plan(sites, hosts)) == []


@pytest.mark.parametrize("url", ["https://:6443", "https://10.10.0.10:port"])
def test_an_api_url_that_does_not_parse_is_reported_not_raised(url):
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_kube_api"] = url
    errors = validate_plan(sites, hosts)
    assert api_clash(errors) == []
    if url == "https://:6443":
        assert "site eu-west: gpufleet_kube_api %r must be an https:// URL with a host" % url in errors


def test_an_empty_server_endpoint_is_required_not_a_bad_address():
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_network"]["server_endpoint"] = ""
    errors = validate_plan(sites, hosts)
    assert "site eu-west: gpufleet_network.server_endpoint is required but not set" in errors
    assert not any("server_endpoint '' is not an IP address" in e for e in errors)


def test_a_bad_site_name_is_named_with_the_rule():
    sites, hosts = plan()
    sites["EU_West"] = sites.pop("eu-west")
    for host in hosts:
        host["site"] = "EU_West" if host["site"] == "eu-west" else host["site"]
    assert ("site 'EU_West': gpufleet_site must be a DNS-1123 label (lowercase letters, digits, '-')"
            in validate_plan(sites, hosts))


def test_a_site_missing_variables_still_has_its_network_checked_and_named():
    sites, hosts = plan()
    del sites["eu-west"]["gpufleet_rollout_wave"]
    sites["eu-west"]["gpufleet_network"]["pod_cidr"] = "10.42.0.0/33"
    errors = validate_plan(sites, hosts)
    assert any(e.startswith("site eu-west: gpufleet_rollout_wave") for e in errors), errors
    assert any(e.startswith("site eu-west: gpufleet_network.pod_cidr") and "10.42.0.0/33" in e for e in errors), errors


def test_a_site_without_a_kubeconfig_does_not_hide_a_later_sites_shared_context():
    sites, hosts = plan()
    sites["apac-south"]["gpufleet_kubeconfig"] = ""
    sites["us-east"]["gpufleet_kubeconfig"] = sites["eu-west"]["gpufleet_kubeconfig"]
    errors = validate_plan(sites, hosts)
    assert any(e.startswith("site us-east: gpufleet_kubeconfig") and "is also what site eu-west uses" in e
               for e in errors), errors


@pytest.mark.parametrize("first, second", [("/GPU", "/GPUX"), ("/eu", "/eu/x")])
def test_paths_that_differ_only_at_the_end_are_two_apis(first, second):
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_kube_api"] = "https://10.10.0.10:6443" + first
    sites["us-east"]["gpufleet_kube_api"] = "https://10.10.0.10:6443" + second
    assert api_clash(validate_plan(sites, hosts)) == []


def test_a_host_of_a_site_without_readable_variables_is_reported_not_raised():
    sites, hosts = plan()
    # The site's variables could not be read (the caller reports why): its hosts are still listed.
    hosts.append({"name": "ghost-cp-1", "site": "ghost", "address": "10.90.0.11", "groups": ["k3s_server"]})
    errors = validate_plan(sites, hosts)
    assert any("ghost" in e for e in errors), errors


def test_sites_without_a_kubeconfig_do_not_share_one():
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_kubeconfig"] = ""
    sites["us-east"]["gpufleet_kubeconfig"] = ""
    assert not any("is also what site" in e for e in validate_plan(sites, hosts))


def test_an_endpoint_on_the_sites_own_server_does_not_hide_an_api_on_another_machine():
    sites, hosts = plan()
    sites["eu-west"]["gpufleet_network"]["server_endpoint"] = "10.10.0.11"  # eu-cp-1: allowed
    sites["eu-west"]["gpufleet_kube_api"] = "https://10.10.0.21:6443"  # eu-gpu-1, an agent: not
    assert validate_plan(sites, hosts) == [
        "site eu-west: gpufleet_kube_api https://10.10.0.21:6443 is the address of host eu-gpu-1 (site eu-west), "
        "which is not a k3s_server of site eu-west"]


def test_a_site_missing_variables_does_not_stop_the_checks_of_the_sites_after_it():
    sites, hosts = plan()
    del sites["apac-south"]["gpufleet_rollout_wave"]  # first in name order
    sites["us-east"]["gpufleet_network"]["pod_cidr"] = "not-a-cidr"
    errors = validate_plan(sites, hosts)
    assert any(e.startswith("site apac-south: gpufleet_rollout_wave") for e in errors), errors
    assert any(e.startswith("site us-east: gpufleet_network.pod_cidr") for e in errors), errors
