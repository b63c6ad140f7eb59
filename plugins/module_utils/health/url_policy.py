# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which URLs the collection may send a request or a token to (pure). Apart from the transport so
that validating a release does not import an HTTP stack."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_problem(url: str, allow_http: bool, opt_in: str) -> str | None:
    """The one rule for model endpoints and Prometheus: https, or plain http on loopback (the request
    never leaves the host: a port-forward, a sidecar, the lab), or plain http where `opt_in` (the
    caller's setting, named in the message) allows it. None when `url` may be used."""
    parts = urlsplit(url)
    if allow_http or parts.scheme.lower() != "http" or is_loopback(parts.hostname):
        return None
    return ("%s is plain http off loopback: a token or the answers would cross the network in clear text; "
            "use https, or allow it explicitly with %s" % (url, opt_in))
