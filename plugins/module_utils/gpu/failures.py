# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why nvidia-smi gave no inventory (pure).

A host without a usable GPU is a fact to report (gpu_count 0 and a reason), not
a task failure: the driver role runs on such hosts before the driver exists.
"""

from __future__ import annotations

import re

# (code, pattern in nvidia-smi's output, explanation). Messages as printed by
# nvidia-smi; see the fixtures in tests/unit/fixtures/nvidia-smi/ for recorded ones.
_KNOWN = (
    ("driver_library_mismatch", re.compile(r"Driver/library version mismatch", re.I),
     "the loaded kernel module and the NVML library differ (driver updated without reboot or module reload)"),
    ("driver_not_loaded", re.compile(r"couldn't communicate with the NVIDIA driver", re.I),
     "the NVIDIA kernel module is not loaded"),
    ("no_devices", re.compile(r"No devices were found", re.I),
     "the driver is loaded but found no GPU"),
    ("nvml_missing", re.compile(r"NVML Shared Library Not Found|libnvidia-ml\.so.*(cannot open|not found)", re.I),
     "the NVML library (libnvidia-ml.so) is missing"),
    ("insufficient_permissions", re.compile(r"Insufficient Permissions", re.I),
     "nvidia-smi lacks the permission to query the GPU"),
)

_NVML_VERSION = re.compile(r"NVML library version:\s*([0-9][0-9.]*)")


def recognised(output: str) -> bool:
    """True when the output is one of nvidia-smi's known failure messages."""
    return any(pattern.search(output) for _code, pattern, _why in _KNOWN)


def classify(rc: int, stdout: str, stderr: str) -> dict:
    """reason_code, reason and, for a mismatch, the NVML library version, from a failed run."""
    output = "\n".join(s for s in (stdout, stderr) if s).strip()
    first = output.splitlines()[0] if output else "no output"
    for code, pattern, why in _KNOWN:
        if pattern.search(output):
            found = {"reason_code": code, "reason": "%s (nvidia-smi rc=%d: %s)" % (why, rc, first)}
            m = _NVML_VERSION.search(output)
            if m:
                found["nvml_library_version"] = m.group(1)
            return found
    return {"reason_code": "nvidia_smi_failed", "reason": "nvidia-smi failed (rc=%d: %s)" % (rc, first)}


NOT_INSTALLED = {"reason_code": "nvidia_smi_missing", "reason": "nvidia-smi is not installed (no NVIDIA driver on this host)"}
