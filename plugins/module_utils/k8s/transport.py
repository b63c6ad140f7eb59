# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS to one API server on urllib3: TLS always verified, the site's credentials, bounded retries.

The TLS context is built on the first request. Certificates and keys given inline (kubeconfig
*-data) are loaded from memory; a key goes through a private file only while it is loaded (the
ssl module reads keys from files only), never left on disk.
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import threading
from typing import Any, Dict, Optional, Tuple

try:
    import urllib3
except ImportError:  # pragma: no cover - reported by client.HAS_URLLIB3
    urllib3 = None


class TlsSetupError(Exception):
    """The CA bundle or the client certificate could not be loaded; the message says which."""


def ssl_context(configuration: Any) -> ssl.SSLContext:
    """A verifying context with the configuration's CA and client certificate (files or PEM data)."""
    context = urllib3.util.ssl_.create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    ca_file, ca_data = getattr(configuration, "ssl_ca_cert", None), getattr(configuration, "ca_data", None)
    try:
        if ca_file or ca_data:
            context.load_verify_locations(cafile=ca_file or None, cadata=ca_data or None)
        else:
            context.load_default_certs()
    except (OSError, ssl.SSLError) as e:
        raise TlsSetupError("CA bundle %s: %s" % (ca_file or "(inline data)", e)) from e
    cert_file, key_file = getattr(configuration, "cert_file", None), getattr(configuration, "key_file", None)
    cert_data, key_data = getattr(configuration, "cert_data", None), getattr(configuration, "key_data", None)
    if not (cert_file or cert_data):
        return context
    private = tempfile.mkdtemp(prefix="gpufleet-tls-")
    try:
        if cert_data:
            cert_file = _private_file(private, "cert.pem", cert_data)
        if key_data:
            key_file = _private_file(private, "key.pem", key_data)
        context.load_cert_chain(cert_file, key_file or None)
    except (OSError, ssl.SSLError) as e:
        raise TlsSetupError("client certificate %s: %s" % (
            getattr(configuration, "cert_file", None) or "(inline data)", e)) from e
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return context


def _private_file(directory: str, name: str, text: str) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
    return path


class Transport:
    """One connection pool to one API server (thread-safe: a site step sends from many threads)."""

    def __init__(self, configuration: Any):
        self.configuration = configuration
        self.host = configuration.host.rstrip("/")
        self._pool: Any = None
        self._lock = threading.Lock()

    def pool(self) -> Any:
        with self._lock:
            if self._pool is None:
                cfg = self.configuration
                kwargs: Dict[str, Any] = {"num_pools": 4, "maxsize": cfg.connection_pool_maxsize or 4,
                                          "ssl_context": ssl_context(cfg), "retries": cfg.retries}
                if getattr(cfg, "tls_server_name", None):
                    kwargs["server_hostname"] = cfg.tls_server_name
                    kwargs["assert_hostname"] = cfg.tls_server_name
                proxy = getattr(cfg, "proxy", None)
                self._pool = urllib3.ProxyManager(proxy, **kwargs) if proxy else urllib3.PoolManager(**kwargs)
            return self._pool

    def send(self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes],
             timeout: Tuple[float, float]) -> Any:
        """The urllib3 response, body read (status, reason, data); urllib3's errors pass through."""
        headers = dict(headers, **self.configuration.auth_headers())
        return self.pool().request(method, url, body=body, headers=headers, preload_content=True,
                                   timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]))
