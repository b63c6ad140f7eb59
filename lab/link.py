"""A site's WAN link: toxiproxy (github.com/Shopify/toxiproxy) between clients and its API server.

This kernel has no netem qdisc, so latency is added in user space by toxiproxy, the field's
standard network-fault proxy: clients reach the site at its public address, toxiproxy relays the
TLS bytes (it never terminates TLS) to the API server's internal address, delaying each direction by
half the RTT. Partition = toxiproxy's `timeout` toxic with timeout 0 (data dropped until removed);
a stopped site also disables the proxy so connections are refused. The site's own controllers use
the internal address, so only client traffic crosses the WAN.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from lab.config import API_PORT, TOXIPROXY_PORT, SiteConfig
from lab.errors import lab_error

PROXY = "api"


def _call(site: SiteConfig, method: str, path: str, body: dict | list | None = None) -> object:
    url = f"http://{site.link_address}:{TOXIPROXY_PORT}{path}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raise lab_error(f"call toxiproxy {method} {path}", f"{e.code} {e.read().decode(errors='replace')}",
                        site=site.name) from e
    except OSError as e:
        raise lab_error(f"call toxiproxy {method} {path}", e, site=site.name) from e
    return json.loads(raw) if raw.strip() else None


def desired_toxics(rtt_ms: float, partitioned: bool) -> dict[str, dict]:
    """Toxics by name; half the RTT each way so a request/response exchange costs rtt_ms."""
    half = int(round(rtt_ms / 2))
    toxics = {
        f"latency_{stream}": {"name": f"latency_{stream}", "type": "latency", "stream": stream,
                              "toxicity": 1.0, "attributes": {"latency": half, "jitter": 0}}
        for stream in ("upstream", "downstream")
    }
    if partitioned:
        for stream in ("upstream", "downstream"):
            toxics[f"partition_{stream}"] = {"name": f"partition_{stream}", "type": "timeout", "stream": stream,
                                             "toxicity": 1.0, "attributes": {"timeout": 0}}
    return toxics


def configure(site: SiteConfig, rtt_ms: float, partitioned: bool = False, enabled: bool = True) -> None:
    """Make the proxy and its toxics match the wanted state (create, update or delete each)."""
    _call(site, "POST", "/populate", [{
        "name": PROXY, "listen": f"{site.address}:{API_PORT}",
        "upstream": f"{site.api_internal_address}:{API_PORT}", "enabled": enabled}])
    _call(site, "POST", f"/proxies/{PROXY}", {"enabled": enabled})
    current = {t["name"]: t for t in _call(site, "GET", f"/proxies/{PROXY}/toxics") or []}
    wanted = desired_toxics(rtt_ms, partitioned)
    for name in set(current) - set(wanted):
        _call(site, "DELETE", f"/proxies/{PROXY}/toxics/{name}")
    for name, toxic in wanted.items():
        if name not in current:
            _call(site, "POST", f"/proxies/{PROXY}/toxics", toxic)
        elif current[name].get("attributes") != toxic["attributes"]:
            _call(site, "POST", f"/proxies/{PROXY}/toxics/{name}", {"attributes": toxic["attributes"]})


def set_enabled(site: SiteConfig, enabled: bool) -> None:
    _call(site, "POST", f"/proxies/{PROXY}", {"enabled": enabled})
