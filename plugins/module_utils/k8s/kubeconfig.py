# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a site's API server is and how to prove who we are: a kubeconfig context, read here.

The forms a kubeconfig spells with files and tokens (certificate-authority, client certificate
and key, token, tokenFile, each as a file or inline data) are read here, with PyYAML only. A user
entry that runs a program or a provider for its credentials (exec, auth-provider, username and
password), or a KUBECONFIG that lists several files, is read by the official `kubernetes` client's
loader instead, imported only then: it costs about 0.2 s of imports that every rollout task would
pay otherwise, and it knows those plugins.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

try:
    import yaml
except ImportError:  # pragma: no cover - client.HAS_URLLIB3 reports the missing libraries
    yaml = None

# User entries whose credentials come from a program or a provider: the official loader's job.
PLUGIN_KEYS = ("exec", "auth-provider", "username", "password")


class KubeconfigError(Exception):
    """The kubeconfig cannot be used; the message says why (the caller names file and site)."""


@dataclass
class Configuration:
    """What a transport needs; attribute names follow kubernetes.client.Configuration's."""

    host: str = ""
    ssl_ca_cert: Optional[str] = None
    ca_data: Optional[str] = None
    cert_file: Optional[str] = None
    cert_data: Optional[str] = field(default=None, repr=False)
    key_file: Optional[str] = None
    key_data: Optional[str] = field(default=None, repr=False)
    verify_ssl: bool = True
    tls_server_name: Optional[str] = None
    proxy: Optional[str] = None
    api_key: Dict[str, str] = field(default_factory=dict, repr=False)
    retries: Any = None
    connection_pool_maxsize: int = 4

    def auth_headers(self) -> Dict[str, str]:
        token = self.api_key.get("BearerToken")
        return {"authorization": token} if token else {}


def path_to_read(given: Optional[str]) -> Optional[str]:
    """The kubeconfig file to read here: the one given, else KUBECONFIG or ~/.kube/config; None when
    KUBECONFIG lists several files, which the official loader merges."""
    if given:
        return given
    listed = os.environ.get("KUBECONFIG") or ""
    if os.pathsep in listed:
        return None
    return os.path.expanduser(listed or "~/.kube/config")


def _named(doc: Dict[str, Any], section: str, name: str) -> Dict[str, Any]:
    for item in doc.get(section) or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item.get(section[:-1]) or {}
    raise KubeconfigError("%s %s not found in the kubeconfig" % (section[:-1], name))


def _pem(value: Any, what: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError, TypeError) as e:
        raise KubeconfigError("%s is not base64 PEM data: %s" % (what, e)) from e


def _file(entry: Dict[str, Any], key: str, base: str) -> Optional[str]:
    value = entry.get(key)
    if not value:
        return None
    # As kubectl does: relative paths are relative to the kubeconfig's own directory.
    return os.path.normpath(os.path.join(base, os.path.expanduser(str(value))))


def read_context(path: str, context: Optional[str]) -> Dict[str, Any]:
    """{name, cluster, user} of a context (the current one by default); raises KubeconfigError."""
    try:
        with open(path, encoding="utf-8") as f:
            # libyaml's loader when PyYAML has it: a kubeconfig is read by every task that reaches a site.
            doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506 - a safe loader
    except OSError as e:
        raise KubeconfigError("cannot read it: %s" % (e.strerror or e)) from e
    except yaml.YAMLError as e:
        raise KubeconfigError("not valid YAML: %s" % e) from e
    if not isinstance(doc, dict):
        raise KubeconfigError("not a kubeconfig (no mapping at the top)")
    name = context or doc.get("current-context")
    if not name:
        raise KubeconfigError("no context given and no current-context set")
    ctx = _named(doc, "contexts", name)
    cluster = _named(doc, "clusters", ctx.get("cluster") or "")
    user = _named(doc, "users", ctx.get("user") or "") if ctx.get("user") else {}
    return {"name": name, "cluster": cluster, "user": user}


def from_kubeconfig(path: str, context: Optional[str]) -> Optional[Configuration]:
    """The configuration of one context, or None when its user gets its credentials from a program
    or a provider (exec, auth-provider, username and password): the official loader's job."""
    found = read_context(path, context)
    cluster, user = found["cluster"], found["user"] or {}
    if any(user.get(key) for key in PLUGIN_KEYS):
        return None
    base = os.path.dirname(os.path.abspath(path))
    if not cluster.get("server"):
        raise KubeconfigError("cluster of context %s has no server" % found["name"])
    cfg = Configuration(host=str(cluster["server"]).rstrip("/"),
                        verify_ssl=not cluster.get("insecure-skip-tls-verify"),
                        tls_server_name=cluster.get("tls-server-name") or None,
                        proxy=cluster.get("proxy-url") or None)
    cfg.ssl_ca_cert = _file(cluster, "certificate-authority", base)
    if cluster.get("certificate-authority-data"):
        cfg.ca_data = _pem(cluster["certificate-authority-data"], "certificate-authority-data")
    cfg.cert_file = _file(user, "client-certificate", base)
    if user.get("client-certificate-data"):
        cfg.cert_data = _pem(user["client-certificate-data"], "client-certificate-data")
    cfg.key_file = _file(user, "client-key", base)
    if user.get("client-key-data"):
        cfg.key_data = _pem(user["client-key-data"], "client-key-data")
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token_file = _file(user, "tokenFile", base)
        try:
            with open(token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            raise KubeconfigError("tokenFile %s: %s" % (token_file, e.strerror or e)) from e
    if token:
        cfg.api_key = {"BearerToken": "Bearer %s" % token}
    return cfg


def from_official_loader(path: Optional[str], context: Optional[str]) -> Any:
    """kubernetes.client.Configuration from the official loader (exec, auth-provider, merged files)."""
    try:
        from kubernetes import client as k8s_client
        from kubernetes import config as k8s_config
        from kubernetes.config.config_exception import ConfigException
    except ImportError as e:
        raise KubeconfigError("this kubeconfig's user runs a credential plugin (exec or auth-provider) or "
                              "KUBECONFIG lists several files, which needs the Python library kubernetes: %s" % e) from e
    configuration = k8s_client.Configuration()
    try:
        k8s_config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                                    persist_config=False)
    except (ConfigException, OSError, TypeError, ValueError) as e:
        raise KubeconfigError(str(e)) from e
    configuration.auth_headers = lambda: {k: v for k, v in (
        (s.get("key"), s.get("value")) for s in configuration.auth_settings().values() if s.get("in") == "header") if v}
    return configuration
