"""Helpers for the gpu_addons lab tests: GPU facts as gpu_facts builds them from recorded outputs."""
from __future__ import annotations

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu import facts, query
from playbook_json import REPO

NVIDIA_SMI_FIXTURES = REPO / "tests" / "unit" / "fixtures" / "nvidia-smi"


def gpu_facts_from_capture(name: str) -> dict:
    """ansible_facts.nvidia_gpu as gpu_facts builds it from a recorded nvidia-smi CSV query."""
    text = (NVIDIA_SMI_FIXTURES / name).read_text()
    rows = query.parse_csv("\n".join(line for line in text.splitlines() if not line.startswith("#")))
    return facts.build_facts([query.gpu_from_row(r) for r in rows])
