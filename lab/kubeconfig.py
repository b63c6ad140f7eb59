"""Kubeconfig files with verified TLS: the site's CA and a client certificate, all inline."""
from __future__ import annotations

import base64
from pathlib import Path

import yaml


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def render(site: str, api_url: str, pki_dir: Path, identity: str) -> str:
    """One cluster, one user, one context named after the site (also current-context)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": site, "cluster": {
            "server": api_url, "certificate-authority-data": _b64(pki_dir / "ca.crt")}}],
        "users": [{"name": f"{site}-{identity}", "user": {
            "client-certificate-data": _b64(pki_dir / f"{identity}.crt"),
            "client-key-data": _b64(pki_dir / f"{identity}.key")}}],
        "contexts": [{"name": site, "context": {"cluster": site, "user": f"{site}-{identity}"}}],
        "current-context": site,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(content)
    tmp.chmod(0o600)
    tmp.replace(path)
