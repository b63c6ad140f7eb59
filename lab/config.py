"""What the lab looks like: sites, their addresses, latency and GPU nodes.

Defaults give three sites; a YAML/JSON file (``--config`` or ``GPUFLEET_LAB_CONFIG``) with a
``sites:`` list overrides them, each entry naming only the fields it changes.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from lab.errors import lab_error

# nvidia.com/gpu.memory is in MiB, as gpu-feature-discovery labels it.
GPU_MEMORY_MIB = {"NVIDIA-H100-80GB-HBM3": 81559, "NVIDIA-L40S": 46068, "NVIDIA-A100-SXM4-80GB": 81920}
API_PORT = 6443
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
TOXIPROXY_PORT = 8474


@dataclass(frozen=True)
class SiteConfig:
    name: str
    index: int  # 1-based; picks the site's 127.42.<index>.0/24 and 10.x CIDRs
    rtt_ms: float
    region: str
    zone_prefix: str
    gpu_product: str
    nodes: int = 4
    gpus_per_node: int = 8
    wave: int = 1
    net: int = 42  # second octet of every lab address; GPUFLEET_LAB_NET runs a second, isolated lab

    @property
    def group(self) -> str:
        return self.name.replace("-", "_")

    @property
    def host_cidr(self) -> str:
        return f"127.{self.net}.{self.index}.0/24"

    @property
    def address(self) -> str:
        """The site's public API address: toxiproxy listens here and adds the WAN latency."""
        return f"127.{self.net}.{self.index}.10"

    @property
    def api_internal_address(self) -> str:
        """Where kube-apiserver listens; the site's own controllers use it, undelayed."""
        return f"127.{self.net}.{self.index}.11"

    @property
    def link_address(self) -> str:
        """toxiproxy's control API."""
        return f"127.{self.net}.{self.index}.12"

    @property
    def etcd_address(self) -> str:
        return f"127.{self.net}.{self.index}.20"

    @property
    def api_url(self) -> str:
        return f"https://{self.address}:{API_PORT}"

    @property
    def api_internal_url(self) -> str:
        return f"https://{self.api_internal_address}:{API_PORT}"

    @property
    def pod_cidr(self) -> str:
        return f"10.{100 + self.index}.0.0/16"

    @property
    def service_cidr(self) -> str:
        return f"10.{200 + self.index}.0.0/16"

    @property
    def service_ip(self) -> str:
        return f"10.{200 + self.index}.0.1"

    @property
    def gpu_memory_mib(self) -> int:
        return GPU_MEMORY_MIB.get(self.gpu_product, 16384)


DEFAULT_SITES: tuple[dict[str, Any], ...] = (
    {"name": "lab-eu", "rtt_ms": 10, "region": "europe-west", "zone_prefix": "europe-west",
     "gpu_product": "NVIDIA-H100-80GB-HBM3", "wave": 1},
    {"name": "lab-us", "rtt_ms": 40, "region": "us-east", "zone_prefix": "us-east",
     "gpu_product": "NVIDIA-H100-80GB-HBM3", "wave": 2},
    {"name": "lab-apac", "rtt_ms": 90, "region": "asia-southeast", "zone_prefix": "asia-southeast",
     "gpu_product": "NVIDIA-L40S", "wave": 3},
)
MAX_SITES = 50  # 127.<net>.<index>.0/24 per site, 10.(100+index) pod CIDRs


@dataclass(frozen=True)
class LabConfig:
    sites: tuple[SiteConfig, ...] = field(default_factory=tuple)

    def site(self, name: str) -> SiteConfig:
        for s in self.sites:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sites)
        raise lab_error(f"find site {name}", f"no such site in the lab (sites: {known})")

    def to_dict(self) -> dict[str, Any]:
        return {"sites": [asdict(s) for s in self.sites]}


def build_config(entries: list[dict[str, Any]]) -> LabConfig:
    """Validate raw site entries; index follows list order so addresses are stable."""
    if not entries or len(entries) > MAX_SITES:
        raise lab_error("load lab config", f"sites must list 1..{MAX_SITES} sites, got {len(entries)}")
    allowed = {f.name for f in fields(SiteConfig)} - {"index", "net"}
    net = int(os.environ.get("GPUFLEET_LAB_NET", "42"))
    if not 1 <= net <= 254:
        raise lab_error("load lab config", f"GPUFLEET_LAB_NET: invalid value {net!r} (1..254)")
    sites, seen = [], set()
    for i, entry in enumerate(entries, start=1):
        name = entry.get("name")
        if not isinstance(name, str) or not name.replace("-", "").isalnum() or name in seen:
            raise lab_error("load lab config", f"site #{i} field name: invalid or duplicate value {name!r}")
        unknown = set(entry) - allowed
        if unknown:
            raise lab_error("load lab config", f"unknown fields {sorted(unknown)}", site=name)
        merged = {"region": name, "zone_prefix": name, "gpu_product": "NVIDIA-H100-80GB-HBM3",
                  "rtt_ms": 0, "wave": i, **entry}
        for key in ("rtt_ms", "nodes", "gpus_per_node", "wave"):
            value = merged.get(key, 1)
            if not isinstance(value, (int, float)) or value < 0:
                raise lab_error("load lab config", f"field {key}: invalid value {value!r}", site=name)
        seen.add(name)
        sites.append(SiteConfig(index=i, net=net, **merged))
    return LabConfig(sites=tuple(sites))


def default_config() -> LabConfig:
    return build_config([dict(s) for s in DEFAULT_SITES])


def load_config(path: str | None) -> LabConfig:
    path = path or os.environ.get("GPUFLEET_LAB_CONFIG")
    if not path:
        return default_config()
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise lab_error(f"read lab config {path}", e) from e
    by_name = {s["name"]: s for s in DEFAULT_SITES}
    # A site named like a default inherits the default's fields.
    entries = [{**by_name.get(e.get("name"), {}), **e} for e in (data or {}).get("sites", [])]
    return build_config(entries)


def config_from_json(text: str) -> LabConfig:
    data = json.loads(text)
    return LabConfig(sites=tuple(SiteConfig(**s) for s in data["sites"]))
