# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the read-only commands behind gpu_facts and assemble the facts.

The commands come in through two callables so the module can pass
AnsibleModule.run_command / get_bin_path and tests can pass recorded output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from . import failures
from .fabric import FABRIC_MANAGER_UNIT, nvswitches, unit_state
from .facts import build_facts, empty_facts
from .query import BASE_FIELDS, gpu_from_row, invalid_field, parse_csv, query_args
from .smi_xml import parse_xml

Run = Callable[[list], "tuple[int, str, str]"]
Which = Callable[[str], "str | None"]


class GpuFactsError(Exception):
    """nvidia-smi answered, but with output this module cannot read."""


@dataclass(frozen=True)
class Options:
    nvidia_smi: str | None = None
    query_xml: bool = True
    fabric_manager: bool = True
    nvswitches: bool = True


def _fabric_manager(run: Run, which: Which) -> dict | None:
    systemctl = which("systemctl")
    if not systemctl:
        return None
    rc, out, _err = run([systemctl, "show", "-p", "LoadState,ActiveState,SubState", FABRIC_MANAGER_UNIT])
    # Without systemd as PID 1 (containers) systemctl answers rc != 0 and nothing useful.
    if rc != 0 or "LoadState=" not in out:
        return None
    state = unit_state(out)
    state["unit"] = FABRIC_MANAGER_UNIT
    return state


def _nvswitches(run: Run, which: Which) -> list[str] | None:
    lspci = which("lspci")
    if not lspci:
        return None
    rc, out, _err = run([lspci, "-D", "-nn", "-d", "10de:"])
    return nvswitches(out) if rc == 0 else None


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def collect(run: Run, which: Which, options: Options = Options(), executable: Callable[[str], bool] | None = None) -> dict:
    executable = executable or _executable
    fabric = _fabric_manager(run, which) if options.fabric_manager else None
    switches = _nvswitches(run, which) if options.nvswitches else None
    smi = options.nvidia_smi or which("nvidia-smi")
    if not smi:
        return empty_facts(dict(failures.NOT_INSTALLED), fabric, switches)
    if options.nvidia_smi and not executable(smi):
        # A configured path that is not there yet (driver not installed) is a fact, like no nvidia-smi at all.
        reason = dict(failures.NOT_INSTALLED, reason="nvidia-smi is not installed at %s" % smi)
        return empty_facts(reason, fabric, switches)

    notes = []
    rc, out, err = run(query_args(smi))
    refused = invalid_field(out + "\n" + err)
    if refused:
        notes.append("the driver does not know the query field %s; only %s were read" % (refused, ", ".join(BASE_FIELDS)))
        rc, out, err = run(query_args(smi, BASE_FIELDS))
    # Some drivers print "No devices were found" and still exit 0.
    if rc != 0 or failures.recognised(out + "\n" + err):
        return empty_facts(failures.classify(rc, out, err), fabric, switches)
    try:
        rows = parse_csv(out)
    except ValueError as e:
        raise GpuFactsError("Failed to parse nvidia-smi --query-gpu output: %s" % e) from e
    if not rows:
        return empty_facts({"reason_code": "no_devices", "reason": "nvidia-smi listed no GPU"}, fabric, switches)

    xml = None
    if options.query_xml:
        xrc, xout, xerr = run([smi, "-q", "-x"])
        if xrc == 0:
            try:
                xml = parse_xml(xout)
            except ValueError as e:
                notes.append("cuda_version and MIG devices unknown: %s" % e)
        else:
            notes.append("cuda_version and MIG devices unknown: nvidia-smi -q -x failed (rc=%d: %s)" % (xrc, (xerr or xout).strip()[:200]))
    return build_facts([gpu_from_row(r) for r in rows], xml, fabric, switches, notes)
