"""Probes against a site over verified TLS: /readyz, TCP round trip, and a kubernetes client."""
from __future__ import annotations

import http.client
import ssl
import statistics
import time
from pathlib import Path

from lab.config import API_PORT


def tls_context(pki_dir: Path, identity: str = "admin") -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki_dir / "ca.crt"))
    ctx.load_cert_chain(str(pki_dir / f"{identity}.crt"), str(pki_dir / f"{identity}.key"))
    return ctx


def get(address: str, path: str, ctx: ssl.SSLContext, timeout: float = 5.0) -> tuple[int, str]:
    conn = http.client.HTTPSConnection(address, API_PORT, context=ctx, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def readyz(address: str, ctx: ssl.SSLContext, timeout: float = 5.0) -> tuple[bool, str]:
    try:
        status, body = get(address, "/readyz", ctx, timeout)
    except (OSError, http.client.HTTPException) as e:
        return False, str(e) or type(e).__name__
    return status == 200 and body.strip() == "ok", body.strip()[-300:]


def wait_ready(address: str, ctx: ssl.SSLContext, timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    ok, why = False, "not tried"
    while time.monotonic() < deadline:
        ok, why = readyz(address, ctx, timeout=3)
        if ok:
            return True, "ok"
        time.sleep(0.3)
    return ok, why


def request_ms(address: str, ctx: ssl.SSLContext, samples: int = 7, timeout: float = 5.0) -> float | None:
    """Median time of GET /version (static, no etcd) on one kept-alive TLS connection."""
    conn = http.client.HTTPSConnection(address, API_PORT, context=ctx, timeout=timeout)
    times = []
    try:
        for i in range(samples + 1):
            start = time.perf_counter()
            conn.request("GET", "/version")
            conn.getresponse().read()
            if i:  # the first request pays for the TLS handshake
                times.append((time.perf_counter() - start) * 1000)
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return statistics.median(times)


def link_rtt_ms(public: str, internal: str, ctx: ssl.SSLContext, samples: int = 7) -> float | None:
    """Round trip across the site's link: a request via the public address minus the same request
    straight to the API server (its own serving time). A TCP connect would only time the proxy."""
    via_link = request_ms(public, ctx, samples)
    direct = request_ms(internal, ctx, samples)
    if via_link is None or direct is None:
        return None
    return max(0.0, via_link - direct)


def api_client(kubeconfig: Path, context: str | None = None):
    """A kubernetes.client.ApiClient for the site, TLS verified against the site's CA."""
    from kubernetes import config as kconfig

    return kconfig.new_client_from_config(config_file=str(kubeconfig), context=context)
