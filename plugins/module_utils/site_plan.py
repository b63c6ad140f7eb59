# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a fleet's site plan: network layout, server quorum and rollout waves.

Pure functions over plain data, so the same rules serve the site_plan module, its action
plugin (which reads the inventory) and the unit tests. Every rule adds to one list of
errors instead of raising, because an operator fixing an inventory wants all problems at once.
"""

from __future__ import annotations

import re
import traceback
from itertools import combinations
from urllib.parse import urlparse

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
# Pod and service ranges are meshed across sites later, so they must be unique fleet-wide.
FLEET_UNIQUE_CIDRS = ("pod_cidr", "service_cidr")
HOST_GROUPS = ("k3s_server", "k3s_agent", "gpu")
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
            errors.append("site %s: host %s: address %s is already used by host %s" % (site, name, ip, seen[ip]))
        else:
            seen[ip] = name
        host_cidr = site_nets.get(site, {}).get("host_cidr")
        if host_cidr is not None and ip not in host_cidr:
            errors.append("site %s: host %s: address %s is outside gpufleet_network.host_cidr %s" % (site, name, ip, host_cidr))
    return servers


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
    hosts: [{name, site, address, groups}] for every inventory host under `sites`.
    """
    errors = []
    if not sites:
        return ["no sites: the inventory has no hosts under the 'sites' group"]
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
    servers = _check_hosts(hosts, site_nets, errors)
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
