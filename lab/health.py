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


def https_rtt_ms(address: str, ctx: ssl.SSLContext, samples: int = 5, timeout: float = 5.0) -> float | None:
    """Median time of GET /readyz on one kept-alive TLS connection: one round trip each (TCP connect
    would only reach the site's link proxy). Server time is well under a millisecond."""
    conn = http.client.HTTPSConnection(address, API_PORT, context=ctx, timeout=timeout)
    times = []
    try:
        for i in range(samples + 1):
            start = time.perf_counter()
            conn.request("GET", "/readyz")
            conn.getresponse().read()
            if i:  # the first request pays for the TLS handshake
                times.append((time.perf_counter() - start) * 1000)
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return statistics.median(times)


def api_client(kubeconfig: Path, context: str | None = None):
    """A kubernetes.client.ApiClient for the site, TLS verified against the site's CA."""
    from kubernetes import config as kconfig

    return kconfig.new_client_from_config(config_file=str(kubeconfig), context=context)
