# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a fleet's site plan: network layout, server quorum and rollout waves.

Pure functions over plain data, so the same rules serve the site_plan module, its action
plugin (which reads the inventory) and the unit tests. Every rule adds to one list of
errors instead of raising, because an operator fixing an inventory wants all problems at once.
"""

from __future__ import annotations

import os
import re
import traceback
from itertools import combinations
from urllib.parse import urlparse

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import coverage_problems

try:
    import netaddr
    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the module
    HAS_NETADDR = False
    # Captured where the import failed: formatted later, there is no exception left to show.
    NETADDR_IMPORT_ERROR = traceback.format_exc()

REQUIRED_SITE_VARS = (
    "gpufleet_region",
    "gpufleet_kube_api",
    "gpufleet_kubeconfig",
    "gpufleet_network",
    "gpufleet_gpu",
    "gpufleet_rollout_wave",
)
NETWORK_CIDRS = ("host_cidr", "pod_cidr", "service_cidr")
# Sites are routed to each other and pod and service ranges are meshed across sites later, so no
# range of one site may cover or overlap any range of another.
FLEET_UNIQUE_CIDRS = NETWORK_CIDRS
HOST_GROUPS = ("k3s_server", "k3s_agent", "gpu")
# The one host per site that stands for its Kubernetes API; a site without it is left out of rollouts.
API_GROUP = "kube_api"
# Site names end up in Kubernetes labels and file names: DNS-1123 label.
SITE_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _field(site, name):
    return "site %s: %s" % (site, name)


def _parse_cidr(value, site, name, errors):
    where = _field(site, "gpufleet_network.%s" % name)
    if not isinstance(value, str) or "/" not in value:
        errors.append("%s %r is not a CIDR (expected address/prefix, e.g. 10.42.0.0/16)" % (where, value))
        return None
    try:
        net = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError) as e:
        errors.append("%s %r is not a valid CIDR: %s" % (where, value, e))
        return None
    if net.ip != net.network:
        errors.append("%s %r has host bits set; the network is %s" % (where, value, net.cidr))
        return None
    return net


def _parse_address(value):
    try:
        return netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_required(site, svars, errors):
    missing = [k for k in REQUIRED_SITE_VARS if svars.get(k) in (None, "")]
    for key in missing:
        errors.append("%s is required but not set" % _field(site, key))
    return not missing


def _api_key(url):
    """The parts of an API URL that decide which server it reaches (scheme, host, port, path)."""
    parsed = urlparse(str(url).strip())
    try:
        port = parsed.port
    except ValueError:
        return None
    if not parsed.hostname:
        return None
    port = port or {"https": 443, "http": 80}.get(parsed.scheme)
    return (parsed.scheme.lower(), parsed.hostname.lower(), port, parsed.path.rstrip("/"))


def _api_host_address(url):
    """The IP address in an API URL, or None when it names a DNS host (or does not parse)."""
    key = _api_key(url)
    return _parse_address(key[1]) if key else None


def _check_scalars(site, svars, errors):
    if not SITE_NAME_RE.match(str(site)):
        errors.append("site %r: gpufleet_site must be a DNS-1123 label (lowercase letters, digits, '-')" % (site,))
    api = urlparse(str(svars["gpufleet_kube_api"]))
    if api.scheme != "https" or not api.hostname:
        errors.append("%s %r must be an https:// URL with a host" % (_field(site, "gpufleet_kube_api"), svars["gpufleet_kube_api"]))
    wave = svars["gpufleet_rollout_wave"]
    if not _positive_int(wave):
        errors.append("%s %r must be an integer >= 1" % (_field(site, "gpufleet_rollout_wave"), wave))
    gpu = svars["gpufleet_gpu"]
    if not isinstance(gpu, dict):
        errors.append("%s must be a mapping with product and count_per_node" % _field(site, "gpufleet_gpu"))
        return
    if not gpu.get("product"):
        errors.append("%s is required but not set" % _field(site, "gpufleet_gpu.product"))
    count = gpu.get("count_per_node")
    if not _positive_int(count):
        errors.append("%s %r must be an integer >= 1" % (_field(site, "gpufleet_gpu.count_per_node"), count))


def _check_network(site, network, errors):
    """Return the parsed CIDRs of one site, after checking them against each other."""
    if not isinstance(network, dict):
        errors.append("%s must be a mapping with %s" % (_field(site, "gpufleet_network"), ", ".join(NETWORK_CIDRS)))
        return {}
    nets = {}
    for name in NETWORK_CIDRS:
        if network.get(name) in (None, ""):
            errors.append("%s is required but not set" % _field(site, "gpufleet_network.%s" % name))
            continue
        net = _parse_cidr(network[name], site, name, errors)
        if net is not None:
            nets[name] = net
    for a, b in combinations(sorted(nets), 2):
        if nets[a] in nets[b] or nets[b] in nets[a]:
            errors.append("%s %s overlaps gpufleet_network.%s %s" % (
                _field(site, "gpufleet_network.%s" % a), nets[a], b, nets[b]))
    endpoint = network.get("server_endpoint")
    if endpoint in (None, ""):
        errors.append("%s is required but not set" % _field(site, "gpufleet_network.server_endpoint"))
    elif _parse_address(endpoint) is None:
        errors.append("%s %r is not an IP address" % (_field(site, "gpufleet_network.server_endpoint"), endpoint))
    elif "host_cidr" in nets and _parse_address(endpoint) not in nets["host_cidr"]:
        errors.append("%s %s is outside gpufleet_network.host_cidr %s" % (
            _field(site, "gpufleet_network.server_endpoint"), endpoint, nets["host_cidr"]))
    return nets


def _check_fleet_cidrs(site_nets, errors):
    entries = [(site, name, nets[name]) for site, nets in sorted(site_nets.items())
               for name in FLEET_UNIQUE_CIDRS if name in nets]
    for (s1, n1, c1), (s2, n2, c2) in combinations(entries, 2):
        if s1 != s2 and (c1 in c2 or c2 in c1):
            errors.append("%s %s overlaps site %s gpufleet_network.%s %s" % (
                _field(s1, "gpufleet_network.%s" % n1), c1, s2, n2, c2))


def _check_fleet_endpoints(sites, errors):
    """Two sites must not reach the same API: the rollout would roll one cluster twice and the other never."""
    apis, contexts = {}, {}
    for site in sorted(sites):
        svars = sites[site]
        url = svars.get("gpufleet_kube_api")
        key = _api_key(url) if url not in (None, "") else None
        if key is not None:
            if key in apis:
                errors.append("%s %s is also the API of site %s (gpufleet_kube_api %s)" % (
                    _field(site, "gpufleet_kube_api"), url, apis[key][0], apis[key][1]))
            else:
                apis[key] = (site, url)
        kubeconfig = svars.get("gpufleet_kubeconfig")
        if kubeconfig in (None, ""):
            continue
        context = svars.get("gpufleet_kube_context") or None
        where = (os.path.normpath(str(kubeconfig)), context)
        if where in contexts:
            errors.append("%s %s with gpufleet_kube_context %s is also what site %s uses to reach its API" % (
                _field(site, "gpufleet_kubeconfig"), kubeconfig,
                context if context else "unset (the kubeconfig's current context)", contexts[where]))
        else:
            contexts[where] = site


def _check_hosts(hosts, site_nets, errors):
    seen = {}
    servers = {}
    for host in hosts:
        name, site, groups = host["name"], host["site"], set(host.get("groups") or ())
        machine = groups & set(HOST_GROUPS)
        if "k3s_server" in groups:
            servers[site] = servers.get(site, 0) + 1
        if not machine:
            continue
        address = host.get("address")
        ip = _parse_address(address)
        if ip is None:
            errors.append("site %s: host %s: ansible_host %r is not an IP address" % (site, name, address))
            continue
        if ip in seen:
            errors.append("site %s: host %s: address %s is already used by host %s (site %s)" % (
                site, name, ip, seen[ip]["name"], seen[ip]["site"]))
        else:
            seen[ip] = host
        host_cidr = site_nets.get(site, {}).get("host_cidr")
        if host_cidr is not None and ip not in host_cidr:
            errors.append("site %s: host %s: address %s is outside gpufleet_network.host_cidr %s" % (site, name, ip, host_cidr))
    return servers, seen


def _check_server_endpoints(sites, machines, errors):
    """A VIP or API address that is also a machine's address sends API traffic to that machine.

    The endpoint may be one of the site's own k3s servers (a site without a VIP names its first
    server); any other machine, of this site or another, is a conflict.
    machines: {IPAddress: host} for every machine with a valid address.
    """
    for site in sorted(sites):
        svars = sites[site]
        network = svars.get("gpufleet_network")
        candidates = []
        if isinstance(network, dict) and network.get("server_endpoint") not in (None, ""):
            candidates.append(("gpufleet_network.server_endpoint", network["server_endpoint"],
                               _parse_address(network["server_endpoint"])))
        if svars.get("gpufleet_kube_api") not in (None, ""):
            candidates.append(("gpufleet_kube_api", svars["gpufleet_kube_api"], _api_host_address(svars["gpufleet_kube_api"])))
        for field, value, ip in candidates:
            other = machines.get(ip) if ip is not None else None
            if other is None:
                continue
            if other["site"] == site and "k3s_server" in (other.get("groups") or ()):
                continue
            errors.append("%s %s is the address of host %s (site %s), which is not a k3s_server of site %s" % (
                _field(site, field), value, other["name"], other["site"], site))


def _check_api_hosts(sites, hosts, errors):
    """Exactly one kube_api host per site: the plays that talk to a site's API target that host."""
    fleet = {site: [] for site in sites}
    for host in hosts:
        fleet.setdefault(host["site"], []).append(host["name"])
    api = [{"name": host["site"], "host": host["name"]} for host in hosts if API_GROUP in (host.get("groups") or ())]
    errors.extend(coverage_problems(api, fleet))


def _check_site_groups(hosts, errors):
    """One inventory group per site: two groups with one gpufleet_site merge two datacenters into one."""
    groups = {}
    for host in hosts:
        if host.get("group"):
            groups.setdefault(host["site"], set()).add(host["group"])
    for site in sorted(groups):
        if len(groups[site]) > 1:
            errors.append("site %s: inventory groups %s all set gpufleet_site %s; each datacenter's group needs its own "
                          "gpufleet_site (two datacenters merged into one?)" % (site, ", ".join(sorted(groups[site])), site))


def _check_quorum(sites, hosts, servers, errors):
    for site in sorted(sites):
        k3s_hosts = [h for h in hosts if h["site"] == site and {"k3s_server", "k3s_agent"} & set(h.get("groups") or ())]
        count = servers.get(site, 0)
        # Sites without k3s hosts run a Kubernetes we do not provision; quorum is theirs.
        if k3s_hosts and count % 2 == 0:
            errors.append("site %s: k3s_server count %d must be odd (1, 3, 5) for embedded etcd quorum" % (site, count))


def _check_waves(sites, errors):
    waves = {}
    for site, svars in sites.items():
        wave = svars.get("gpufleet_rollout_wave")
        if _positive_int(wave):
            waves.setdefault(wave, []).append(site)
    if not waves:
        return
    expected = set(range(1, max(waves) + 1))
    for gap in sorted(expected - set(waves)):
        errors.append("gpufleet_rollout_wave: waves must be contiguous from 1; no site is in wave %d (waves used: %s)" % (
            gap, ", ".join(str(w) for w in sorted(waves))))


def validate_plan(sites, hosts):
    """Return every problem found in a fleet plan, as messages naming site, host, field and value.

    sites: {site name: {gpufleet_* site variables}}
    hosts: [{name, site, address, groups, group}] for every inventory host under `sites`; `group`
    (optional) is the inventory group under `sites` the host came from.
    """
    errors = []
    if not sites:
        # Also what is left when every host's variables were unreadable (reported by the caller).
        return ["no sites: the inventory has no hosts under the 'sites' group with readable site variables"]
    site_nets = {}
    for site in sorted(sites):
        svars = sites[site]
        if not _check_required(site, svars, errors):
            if isinstance(svars.get("gpufleet_network"), dict):
                site_nets[site] = _check_network(site, svars["gpufleet_network"], errors)
            continue
        _check_scalars(site, svars, errors)
        site_nets[site] = _check_network(site, svars["gpufleet_network"], errors)
    _check_fleet_cidrs(site_nets, errors)
    _check_fleet_endpoints(sites, errors)
    _check_site_groups(hosts, errors)
    _check_api_hosts(sites, hosts, errors)
    servers, machines = _check_hosts(hosts, site_nets, errors)
    _check_server_endpoints(sites, machines, errors)
    _check_quorum(sites, hosts, servers, errors)
    _check_waves(sites, errors)
    return errors


def summarize(sites, hosts):
    """A JSON-friendly description of the plan, for the module's return value."""
    out = {}
    for site in sorted(sites):
        site_hosts = [h for h in hosts if h["site"] == site]
        out[site] = {
            "region": sites[site].get("gpufleet_region"),
            "wave": sites[site].get("gpufleet_rollout_wave"),
            "servers": sorted(h["name"] for h in site_hosts if "k3s_server" in (h.get("groups") or ())),
            "agents": sorted(h["name"] for h in site_hosts if "k3s_agent" in (h.get("groups") or ())),
            "gpu_hosts": sorted(h["name"] for h in site_hosts if "gpu" in (h.get("groups") or ())),
        }
    return out
