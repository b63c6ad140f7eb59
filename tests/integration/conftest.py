"""Integration test fixtures: the `lab` session fixture gives tests the local multi-site lab.

    @pytest.mark.lab
    def test_something(lab):
        for site in lab.sites:          # LabSite: name, group, address, api_url, kubeconfig,
            ...                         #   context, rtt_ms, gpu_product, nodes, gpus_per_node, wave,
                                        #   ca_file, region, host_cidr, pod_cidr, service_cidr
        api = lab.kube("lab-eu")        # kubernetes.client.ApiClient, TLS verified against the site CA
        kubernetes.client.CoreV1Api(api).list_node()
        lab.inventory                   # Path of inventories/lab (ansible-playbook -i <it>)
        lab.fault("lab-us", "latency", 120)   # python -m lab fault ...; "down"/"up"/"partition"/"heal"
        lab.restore()                   # undo every recorded fault (heal links, restart stopped API servers)

`scripts/integration.sh` (make integration) runs `python -m lab up` first and `down` after; the fixture
then only reads inventories/lab/.lab/lab.json (or $GPUFLEET_LAB_INVENTORY/.lab/lab.json). Without a running lab
it runs `python -m lab up` itself and leaves the lab running for the next session (other sessions may
be using it by then): `make lab-down` when done. Tests that need the lab carry the `lab` marker. Failure markers for pods (image name
contains `-broken`: Running, never Ready; `-pullfail`: ImagePullBackOff) are in lab.markers and
docs/lab.md.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_JSON = Path(os.environ.get("GPUFLEET_LAB_INVENTORY", REPO / "inventories" / "lab")) / ".lab" / "lab.json"


@dataclass(frozen=True)
class LabSite:
    name: str
    group: str
    host: str
    address: str  # public: through the site's WAN link
    internal_address: str  # the API server itself (the site's own controllers use it)
    api_url: str
    kubeconfig: str
    context: str
    ca_file: str
    rtt_ms: float
    gpu_product: str
    gpu_memory_mib: int
    nodes: int
    gpus_per_node: int
    wave: int
    region: str
    host_cidr: str
    pod_cidr: str
    service_cidr: str


def run_lab_cli(*args: str, check: bool = True, timeout: float = 3600) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True,
                         timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise RuntimeError(f"python -m lab {' '.join(args)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}")
    return res


class Lab:
    def __init__(self, doc: dict):
        self.doc = doc
        known = {f.name for f in fields(LabSite)}
        self.sites = [LabSite(**{k: v for k, v in s.items() if k in known}) for s in doc["sites"]]
        self.inventory = Path(doc["inventory"])
        self.bin_dir = Path(doc["bin_dir"])
        self.markers = doc["markers"]

    def site(self, name: str | LabSite) -> LabSite:
        if isinstance(name, LabSite):
            return name
        for s in self.sites:
            if s.name == name:
                return s
        raise KeyError(f"no lab site {name!r}; sites: {[s.name for s in self.sites]}")

    def kube(self, site: str | LabSite):
        """A kubernetes.client.ApiClient for the site (fresh each call, so faults never leak)."""
        from kubernetes import config

        s = self.site(site)
        return config.new_client_from_config(config_file=s.kubeconfig, context=s.context)

    def fault(self, site: str | LabSite, action: str, *args) -> str:
        return run_lab_cli("fault", self.site(site).name, action, *map(str, args)).stdout.strip()

    def restore(self) -> None:
        """Heal the link and restart the API server of every site with a fault on record.

        The lab records faults in <state_dir>/faults.json (`lab up` and `status` honour it); sites
        without one are left alone, which spares two `python -m lab` runs per site and test.
        """
        try:
            faults = json.loads((Path(self.doc["state_dir"]) / "faults.json").read_text())
        except FileNotFoundError:
            faults = {}
        for s in self.sites:
            f = faults.get(s.name) or {}
            if f.get("rtt_ms") is not None or f.get("partitioned"):
                self.fault(s, "heal")
            if f.get("api_down"):
                self.fault(s, "up")


def pytest_collection_modifyitems(session, config, items):
    """Run test_lab_down.py last: it takes the lab down for good. GPU-only tests skip where there is none."""
    items.sort(key=lambda item: item.path.name == "test_lab_down.py")
    if shutil.which("nvidia-smi") is None:
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(pytest.mark.skip(reason="no NVIDIA GPU"))


@pytest.fixture(scope="session")
def lab():
    if not LAB_JSON.exists():
        run_lab_cli("up")
    return Lab(json.loads(LAB_JSON.read_text()))
