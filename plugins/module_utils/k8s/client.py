# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One cached API client per site: dict in, dict out, over HTTPS (urllib3).

Objects travel as plain dicts (raw JSON) rather than generated model classes, so manifests,
diffs and diagnoses stay pure functions over dicts and unit tests need no model objects. The
kubeconfig is read by k8s/kubeconfig.py, the wire is k8s/transport.py; the official `kubernetes`
client is imported only for a kubeconfig whose credentials come from a plugin.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import (
    ApiError,
    ConfigError,
)

try:
    import urllib3

    from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import kubeconfig
    from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.transport import TlsSetupError, Transport

    if kubeconfig.yaml is None:
        raise ImportError("No module named 'yaml' (PyYAML), which reads kubeconfigs")

    HAS_URLLIB3 = True
    URLLIB3_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
    HAS_URLLIB3 = False
    URLLIB3_IMPORT_ERROR = traceback.format_exc()

# Statuses worth retrying: throttling and transient server-side failures.
RETRY_STATUSES = (429, 500, 502, 503, 504)
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
# Requests one step keeps in flight to a site (applies, leases): on a distant site round trips,
# not objects, cost the time. The connection pool holds as many connections. Well under an API
# server's in-flight limits (400 reads, 200 writes by default); a 429 is retried with backoff.
PARALLEL_REQUESTS = 32

# kind -> (API path prefix, plural, namespaced): the only kinds the collection reads or writes.
KINDS = {
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "ReplicaSet": ("/apis/apps/v1", "replicasets", True),
    "Service": ("/api/v1", "services", True),
    "Pod": ("/api/v1", "pods", True),
    "Event": ("/api/v1", "events", True),
    "Namespace": ("/api/v1", "namespaces", False),
    "Node": ("/api/v1", "nodes", False),
    "Lease": ("/apis/coordination.k8s.io/v1", "leases", True),
    "NetworkPolicy": ("/apis/networking.k8s.io/v1", "networkpolicies", True),
}


def resource_path(kind: str, name: Optional[str] = None, namespace: Optional[str] = None) -> str:
    """`/apis/apps/v1/namespaces/serving/deployments/llm` (names are DNS labels: nothing to quote)."""
    prefix, plural, namespaced = KINDS[kind]
    path = prefix
    if namespaced and namespace:
        path += "/namespaces/%s" % namespace
    path += "/" + plural
    if name:
        path += "/" + name
    return path


@dataclass(frozen=True)
class SiteAuth:
    """How to reach one site's API server. Hashable: it is the cache key."""

    site: str
    kubeconfig: Optional[str] = None
    context: Optional[str] = None
    host: Optional[str] = None
    # Never in a repr: a SiteAuth may end up in a traceback.
    api_key: Optional[str] = field(default=None, repr=False)
    ca_cert: Optional[str] = None
    client_cert: Optional[str] = None
    client_key: Optional[str] = None
    proxy: Optional[str] = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    api_retries: int = 3

    @classmethod
    def from_params(cls, site: str, params: Dict[str, Any]) -> "SiteAuth":
        def path(name: str) -> Optional[str]:
            # Two spellings of one file must share one cache entry.
            value = params.get(name)
            return os.path.realpath(os.path.expanduser(value)) if value else None

        return cls(
            site=site,
            kubeconfig=path("kubeconfig"),
            context=params.get("context") or None,
            host=(params.get("host") or "").rstrip("/") or None,
            api_key=params.get("api_key") or None,
            ca_cert=path("ca_cert"),
            client_cert=path("client_cert"),
            client_key=path("client_key"),
            proxy=params.get("proxy") or None,
            connect_timeout=float(params.get("connect_timeout") or 5.0),
            read_timeout=float(params.get("read_timeout") or 30.0),
            api_retries=int(params["api_retries"] if params.get("api_retries") is not None else 3),
        )

    def standalone(self) -> bool:
        """host plus a token or a client certificate is enough without a kubeconfig (kubernetes.core's rule)."""
        return bool(self.host and not self.kubeconfig and not self.context
                    and (self.api_key or (self.client_cert and self.client_key)))


def retry_policy(retries: int, backoff_factor: float = 0.5) -> "urllib3.util.retry.Retry":
    """Bounded retries with exponential backoff on connection errors, 429 and 5xx.

    Every call we make is idempotent (GET, LIST, server-side apply, DELETE), so
    retrying PATCH and DELETE is safe. raise_on_status=False hands the last error
    response to the client, which turns it into an ApiError with the server's message.
    """
    return urllib3.util.retry.Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=0,
        backoff_factor=backoff_factor,
        backoff_max=8.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def build_configuration(auth: SiteAuth) -> Any:
    """The kubeconfig (unless host and credentials stand alone), then the options over it, with TLS
    verification enforced."""
    where = "kubeconfig %s" % (auth.kubeconfig or "(default)")
    if auth.context:
        where += " context %s" % auth.context
    if auth.standalone():
        where = "API server %s" % auth.host
        configuration = kubeconfig.Configuration()
    else:
        try:
            path = kubeconfig.path_to_read(auth.kubeconfig)
            configuration = kubeconfig.from_kubeconfig(path, auth.context) if path else None
            if configuration is None:
                configuration = kubeconfig.from_official_loader(path, auth.context)
        except kubeconfig.KubeconfigError as e:
            raise ConfigError("load", where, auth.site, str(e)) from e
    for option, attribute, inline, what in (("ca_cert", "ssl_ca_cert", "ca_data", "CA bundle"),
                                            ("client_cert", "cert_file", "cert_data", "client certificate"),
                                            ("client_key", "key_file", "key_data", "client key")):
        value = getattr(auth, option)
        if value:
            if not os.path.isfile(value):
                raise ConfigError("load", "%s %s" % (what, value), auth.site, "file not found")
            setattr(configuration, attribute, value)
            # The file given as an option replaces the kubeconfig's inline data of the same thing.
            setattr(configuration, inline, None)
    if auth.ca_cert:
        configuration.verify_ssl = True
    if auth.host:
        configuration.host = auth.host
    if auth.api_key:
        # Replaces the kubeconfig's token, and its refresh hook (exec, OIDC) that would bring it back.
        configuration.api_key = {"BearerToken": "Bearer %s" % auth.api_key}
        configuration.refresh_api_key_hook = None
    if auth.proxy:
        configuration.proxy = auth.proxy
    if not configuration.verify_ssl:
        # No silent insecure mode: the operator has to hand us a CA to trust instead.
        raise ConfigError(
            "load", where, auth.site,
            "the cluster entry sets insecure-skip-tls-verify; TLS verification is always on, "
            "give ca_cert (the API server's CA bundle) instead",
        )
    if not configuration.host:
        raise ConfigError("load", where, auth.site, "no API server address (host)")
    configuration.retries = retry_policy(auth.api_retries)
    # A site step keeps PARALLEL_REQUESTS in flight; each thread keeps its connection.
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, PARALLEL_REQUESTS)
    return configuration


def object_ref(kind: str, name: Optional[str], namespace: Optional[str]) -> str:
    """`Deployment serving/llm`: how objects are named in every message."""
    if namespace and name:
        return "%s %s/%s" % (kind, namespace, name)
    if namespace:
        return "%ss in namespace %s" % (kind, namespace)
    return "%s %s" % (kind, name) if name else "%ss" % kind


def api_error_cause(status: int, reason: str, body: bytes) -> str:
    """The API server's own message (Status.message) when there is one."""
    if body:
        try:
            message = json.loads(body).get("message")
            if message:
                return "%s (HTTP %s)" % (message, status)
        except (ValueError, AttributeError):
            pass
    return "HTTP %s %s" % (status, reason or "")


def connection_cause(exc: Exception) -> str:
    # urllib3 wraps the useful part ("Connection refused", "timed out") in a long repr.
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    match = re.search(r"\[Errno -?\d+\] ([^')\]]+)|(timed out|Read timed out\.?)", text)
    if match:
        return "API server unreachable: %s" % (match.group(1) or match.group(2))
    return "API server unreachable: %s" % text


class KubeClient:
    """Thin dict-in/dict-out REST client for one site."""

    def __init__(self, auth: SiteAuth, transport: Any, deadline: Optional[float] = None):
        self.auth = auth
        self.site = auth.site
        self.transport = transport
        self.timeout: Tuple[float, float] = (auth.connect_timeout, auth.read_timeout)
        # time.monotonic() value after which no request starts and none waits past.
        self.deadline = deadline

    def bounded(self, deadline: Optional[float]) -> "KubeClient":
        """The same connection with every request's timeout capped by what is left until deadline."""
        return KubeClient(self.auth, self.transport, deadline)

    def request_timeout(self, what: str, ref: str) -> Tuple[float, float]:
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ApiError(what, ref, self.site, "API server unreachable: no answer before the step's deadline")
        return (min(self.timeout[0], remaining), min(self.timeout[1], remaining))

    def request(self, method: str, what: str, kind: str, name: Optional[str] = None,
                namespace: Optional[str] = None, query: Optional[List[Tuple[str, Any]]] = None,
                body: Optional[Dict[str, Any]] = None, content_type: str = "application/json") -> Dict[str, Any]:
        ref = object_ref(kind, name, namespace)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        timeout = self.request_timeout(what, ref)
        url = self.transport.host + resource_path(kind, name, namespace)
        if query:
            url += "?" + urlencode(query)
        try:
            response = self.transport.send(method, url, headers, None if body is None else json.dumps(body).encode(),
                                           timeout)
        except TlsSetupError as e:
            raise ConfigError("load", "TLS material", self.site, str(e)) from e
        except urllib3.exceptions.HTTPError as e:
            raise ApiError(what, ref, self.site, connection_cause(e)) from e
        data = response.data
        if not 200 <= response.status <= 299:
            raise ApiError(what, ref, self.site, api_error_cause(response.status, response.reason, data),
                           status=response.status, reason=response.reason or "")
        return json.loads(data) if data else {}

    def get(self, kind: str, name: str, namespace: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The live object, or None when it does not exist."""
        try:
            return self.request("GET", "read", kind, name, namespace)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def list(self, kind: str, namespace: Optional[str] = None, label_selector: Optional[str] = None,
             field_selector: Optional[str] = None) -> List[Dict[str, Any]]:
        query = []
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        return self.request("GET", "list", kind, None, namespace, query).get("items") or []

    def apply(self, obj: Dict[str, Any], field_manager: str, force: bool = True,
              dry_run: bool = False) -> Dict[str, Any]:
        """Server-side apply; with dry_run the server computes the result and stores nothing."""
        meta = obj["metadata"]
        query = [("fieldManager", field_manager), ("force", "true" if force else "false")]
        if dry_run:
            query.append(("dryRun", "All"))
        return self.request("PATCH", "dry-run apply" if dry_run else "apply", obj["kind"], meta["name"],
                            meta.get("namespace"), query, body=obj, content_type=APPLY_CONTENT_TYPE)

    def create(self, obj: Dict[str, Any]) -> Dict[str, Any]:
        meta = obj["metadata"]
        return self.request("POST", "create", obj["kind"], None, meta.get("namespace"), body=obj)

    def replace(self, obj: Dict[str, Any]) -> Dict[str, Any]:
        """PUT: with metadata.resourceVersion set, the server refuses (409) a stale read."""
        meta = obj["metadata"]
        return self.request("PUT", "update", obj["kind"], meta["name"], meta.get("namespace"), body=obj)

    def delete(self, kind: str, name: str, namespace: Optional[str] = None) -> bool:
        """Delete (background propagation); False when it was already gone."""
        try:
            self.request("DELETE", "delete", kind, name, namespace, [("propagationPolicy", "Background")])
        except ApiError as e:
            if e.status == 404:
                return False
            raise
        return True


_CACHE: Dict[SiteAuth, KubeClient] = {}
_CACHE_LOCK = threading.Lock()


def get_client(auth: SiteAuth) -> KubeClient:
    """Cached per SiteAuth (every option and timeout): model_versions calls this from many threads."""
    with _CACHE_LOCK:
        cached = _CACHE.get(auth)
        if cached is None:
            cached = KubeClient(auth, Transport(build_configuration(auth)))
            _CACHE[auth] = cached
        return cached


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
