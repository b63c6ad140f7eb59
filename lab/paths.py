"""Where the lab keeps its state (one directory) and writes its inventory."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    return Path(os.environ.get("GPUFLEET_LAB_STATE", REPO / ".cache" / "lab"))


def site_dir(site: str) -> Path:
    return state_dir() / "sites" / site


def inventory_dir() -> Path:
    return Path(os.environ.get("GPUFLEET_LAB_INVENTORY", REPO / "inventories" / "lab"))


def data_dir() -> Path:
    """The lab's own files beside its inventory: Ansible skips a dot directory in an inventory
    directory, so `-i inventories/lab` reads only hosts.yml and group_vars."""
    return inventory_dir() / ".lab"


def lab_json() -> Path:
    return data_dir() / "lab.json"
