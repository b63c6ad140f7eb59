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

from ansible.module_utils.urls import open_url

try:
    from ansible.module_utils.urls import SSLValidationError
except ImportError:  # pragma: no cover - present in every supported ansible-core
    SSLValidationError = ssl.SSLError

# Bodies are only read for diagnostics and version lists; cap them so a
# misrouted request to a large page does not end up in the task result.
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Response:
    """What one request produced.

    status is None when no HTTP response arrived; error_kind then says why:
    'connect', 'timeout' or 'tls'.
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
    """Make one request; never raises for network or HTTP errors."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if options.token:
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
            follow_redirects="safe",
            http_agent="gpufleet.datacenter.model_health",
        )
        return Response(status=resp.getcode(), body=decode_body(resp.read(MAX_BODY + 1)))
    except HTTPError as e:
        try:
            raw = e.read(MAX_BODY + 1)
        except Exception:  # the body of an error response is best effort
            raw = b""
        return Response(status=e.code, body=decode_body(raw))
    except (URLError, SSLValidationError, ssl.SSLError, socket.timeout, TimeoutError, ConnectionError, OSError) as e:
        return Response(status=None, error=str(getattr(e, "reason", e)), error_kind=_error_kind(e))
