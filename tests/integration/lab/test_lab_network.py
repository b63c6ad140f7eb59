"""Latency is real on the wire, and faults change what a client sees."""
import http.client
import socket
import ssl
import time

import pytest
from kubernetes import client

pytestmark = pytest.mark.lab


def request_ms(address: str, ca_file: str, samples: int) -> float:
    """Fastest GET /version on one kept-alive TLS connection (handshake not counted). Like ping's
    min, it is the path's own delay: a busy shared machine can only add time, never remove it."""
    ctx = ssl.create_default_context(cafile=ca_file)
    conn = http.client.HTTPSConnection(address, 6443, context=ctx, timeout=10)
    times = []
    try:
        for i in range(samples + 1):
            start = time.perf_counter()
            conn.request("GET", "/version")
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
            if i:
                times.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return min(times)


def rtt_ms(site, samples: int = 7) -> float:
    """Round trip over the site's link: via the public address minus straight to the API server."""
    return request_ms(site.address, site.ca_file, samples) - request_ms(site.internal_address, site.ca_file, samples)


def within(measured: float, configured: float) -> bool:
    return abs(measured - configured) <= 0.3 * configured


def test_measured_rtt_within_30_percent_of_configured(lab):
    for site in lab.sites:
        measured = rtt_ms(site)
        assert within(measured, site.rtt_ms), f"{site.name}: measured {measured:.1f} ms, configured {site.rtt_ms}"


def test_latency_fault_changes_rtt_and_heal_restores_it(lab):
    site = lab.sites[0]
    try:
        lab.fault(site, "latency", 150)
        slow = rtt_ms(site, samples=5)
        assert within(slow, 150), f"{site.name}: {slow:.1f} ms with 150 ms injected"
        for other in lab.sites[1:]:
            ms = rtt_ms(other, samples=5)
            assert within(ms, other.rtt_ms), f"{other.name} affected by {site.name}'s fault: {ms:.1f} ms"
    finally:
        lab.fault(site, "heal")
    assert within(rtt_ms(site), site.rtt_ms)


def test_partition_drops_traffic_until_heal(lab):
    site = lab.sites[-1]
    ctx = ssl.create_default_context(cafile=site.ca_file)
    try:
        lab.fault(site, "partition")
        conn = http.client.HTTPSConnection(site.address, 6443, context=ctx, timeout=3)
        with pytest.raises((socket.timeout, TimeoutError)):
            conn.request("GET", "/readyz")
            conn.getresponse()
        conn.close()
        for other in lab.sites:
            if other is not site:  # the others still answer (rtt_ms asserts 200s, 10 s timeout)
                assert rtt_ms(other, samples=2) < 10 * other.rtt_ms, f"{other.name} partitioned too"
    finally:
        lab.fault(site, "heal")
    assert within(rtt_ms(site, samples=5), site.rtt_ms)


def test_down_site_refuses_connections_and_comes_back(lab):
    site = lab.sites[1]
    try:
        lab.fault(site, "down")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((site.address, 6443), timeout=5).close()
        for other in lab.sites:
            if other is not site:
                assert client.CoreV1Api(lab.kube(other)).list_node().items, f"{other.name} went down too"
    finally:
        lab.fault(site, "up")
    nodes = client.CoreV1Api(lab.kube(site)).list_node().items
    assert len(nodes) == site.nodes
