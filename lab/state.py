"""Persistent lab state: the config the lab was brought up with, and each site's active faults."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.config import LabConfig, SiteConfig, config_from_json
from lab.errors import lab_error
from lab.paths import state_dir


@dataclass
class Faults:
    rtt_ms: float | None = None  # overrides the configured RTT while set
    partitioned: bool = False
    api_down: bool = False


def _config_path() -> Path:
    return state_dir() / "config.json"


def _faults_path() -> Path:
    return state_dir() / "faults.json"


def save_config(cfg: LabConfig) -> None:
    state_dir().mkdir(parents=True, exist_ok=True)
    _config_path().write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")


def load_config() -> LabConfig | None:
    try:
        return config_from_json(_config_path().read_text())
    except FileNotFoundError:
        return None


def require_config() -> LabConfig:
    cfg = load_config()
    if cfg is None:
        raise lab_error("find the lab", f"no lab state in {state_dir()}; run `python -m lab up` first")
    return cfg


def load_faults() -> dict[str, Faults]:
    try:
        raw = json.loads(_faults_path().read_text())
    except FileNotFoundError:
        return {}
    return {k: Faults(**v) for k, v in raw.items()}


def save_faults(faults: dict[str, Faults]) -> None:
    state_dir().mkdir(parents=True, exist_ok=True)
    _faults_path().write_text(json.dumps({k: asdict(v) for k, v in faults.items()}, indent=2) + "\n")


def effective_rtt(site: SiteConfig, faults: dict[str, Faults]) -> float:
    f = faults.get(site.name)
    return f.rtt_ms if f and f.rtt_ms is not None else site.rtt_ms
