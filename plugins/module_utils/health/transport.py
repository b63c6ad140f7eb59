# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP for health probes, on ansible.module_utils.urls.

Why not requests: a health gate often has to run on a host inside the site's
network (a bastion, a GPU node) rather than on the controller, and
ansible.module_utils.urls is shipped with every module, so the gate works on
any managed host without installing a Python package there. It is also the
TLS code path of ansible.builtin.uri, so CA handling matches what operators know.
"""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit

from ansible.module_utils.urls import open_url
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.url_policy import plain_http_problem

try:
    from ansible.module_utils.urls import SSLValidationError
except ImportError:  # pragma: no cover - present in every supported ansible-core
    SSLValidationError = ssl.SSLError

# Bodies are only read for diagnostics and version lists; cap them so a
# misrouted request to a large page does not end up in the task result.
MAX_BODY = 64 * 1024
# Redirects followed for GET and HEAD ("safe"), each one checked like the first URL.
MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Response:
    """What one request produced.

    status is None when no HTTP response arrived; error_kind then says why:
    'connect', 'timeout', 'tls', or 'insecure' (a URL the plain-http rule refuses; nothing was sent).
    """

    status: int | None
    body: object = None
    error: str | None = None
    error_kind: str | None = None


@dataclass(frozen=True)
class TransportOptions:
    timeout: float = 10.0
    ca_path: str | None = None
    token: str | None = None
    use_proxy: bool = True
    # Plain http off loopback, explicitly allowed by the caller (plain_http_problem).
    allow_http: bool = False


def origin(url: str) -> tuple:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def decode_body(raw: bytes) -> object:
    text = raw[:MAX_BODY].decode("utf-8", errors="replace")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _error_kind(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, (ssl.SSLError, ssl.CertificateError, SSLValidationError)) or isinstance(exc, SSLValidationError):
        return "tls"
    if isinstance(reason, (socket.timeout, TimeoutError)) or isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    return "connect"


def request(method: str, url: str, options: TransportOptions, body: dict | None = None) -> Response:
    """Make one request; never raises for network or HTTP errors.

    Redirects are followed here rather than by open_url: its "safe" mode forwards every header,
    the bearer token included, to whatever host a redirect names. The token goes only to the
    origin (scheme, host, port) of `url`; every hop must pass the plain-http rule.
    """
    first = url
    for _hop in range(MAX_REDIRECTS + 1):
        refused = plain_http_problem(url, options.allow_http, "allow_http: true")
        if refused:
            return Response(status=None, error=refused, error_kind="insecure")
        if urlsplit(first).scheme.lower() == "https" and urlsplit(url).scheme.lower() != "https":
            return Response(status=None, error="%s redirected from https to %s: refused" % (first, url),
                            error_kind="insecure")
        response, location = _request_once(method, url, options, body, send_token=origin(url) == origin(first))
        if location is None or method not in ("GET", "HEAD"):
            return response
        url = urljoin(url, location)
    return Response(status=None, error="%s: more than %d redirects" % (first, MAX_REDIRECTS), error_kind="connect")


def _request_once(method: str, url: str, options: TransportOptions, body: dict | None,
                  send_token: bool) -> tuple[Response, str | None]:
    """One HTTP exchange; the Location of a redirect (followed by the caller) or None."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if options.token and send_token:
        headers["Authorization"] = "Bearer %s" % options.token
    try:
        resp = open_url(
            url,
            data=data,
            headers=headers,
            method=method,
            timeout=options.timeout,
            validate_certs=True,
            ca_path=options.ca_path,
            use_proxy=options.use_proxy,
            follow_redirects="none",
            http_agent="gpufleet.datacenter.model_health",
        )
        return Response(status=resp.getcode(), body=decode_body(resp.read(MAX_BODY + 1))), None
    except HTTPError as e:
        try:
            raw = e.read(MAX_BODY + 1)
        except Exception:  # the body of an error response is best effort
            raw = b""
        location = e.headers.get("Location") if e.code in REDIRECT_STATUSES and e.headers else None
        return Response(status=e.code, body=decode_body(raw)), location
    except (URLError, SSLValidationError, ssl.SSLError, socket.timeout, TimeoutError, ConnectionError, OSError) as e:
        return Response(status=None, error=str(getattr(e, "reason", e)), error_kind=_error_kind(e)), None
