# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nvidia-smi --query-gpu: the command and its CSV output (pure)."""

from __future__ import annotations

import csv
import io
import re

from . import values

# Fields gpu_facts asks for. All exist since driver 450 (mig.mode.current since
# the A100 drivers); a GPU without the feature answers [N/A], which parses to None.
QUERY_FIELDS = (
    "index",
    "name",
    "uuid",
    "pci.bus_id",
    "driver_version",
    "memory.total",
    "persistence_mode",
    "mig.mode.current",
    "ecc.mode.current",
    "ecc.errors.uncorrected.volatile.total",
    "vbios_version",
)


# Fields every driver since the Kepler era knows: the fallback when an old driver
# refuses one of QUERY_FIELDS (nvidia-smi then answers 'Field "x" is not a valid field to query.').
BASE_FIELDS = ("index", "name", "uuid", "pci.bus_id", "driver_version", "memory.total", "persistence_mode")

_INVALID_FIELD = re.compile(r'Field "([^"]+)" is not a valid field to query')


def invalid_field(output: str) -> str | None:
    """The field nvidia-smi refused, if that is what it said."""
    m = _INVALID_FIELD.search(output)
    return m.group(1) if m else None


# Field names nvidia-smi accepts as synonyms (see `nvidia-smi --help-query-gpu`).
ALIASES = {"gpu_name": "name", "gpu_uuid": "uuid", "gpu_bus_id": "pci.bus_id"}


def query_args(nvidia_smi: str, fields: tuple[str, ...] = QUERY_FIELDS) -> list[str]:
    # With the header line: the output then says which column is which, so a driver
    # that renames or reorders a field cannot shift values into the wrong fact.
    return [nvidia_smi, "--query-gpu=" + ",".join(fields), "--format=csv,nounits"]


def _header_name(column: str) -> str:
    # With a header, nvidia-smi names columns after the query field plus a unit: "memory.total [MiB]".
    return column.split(" [", 1)[0].strip()


def parse_csv(output: str, fields: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """Rows of --query-gpu CSV as dicts keyed by query field name.

    fields: the query's field list, for output made with noheader. When None, the
    first line is read as nvidia-smi's header (format=csv without noheader).
    """
    lines = [line for line in output.splitlines() if line.strip()]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True))
    if not rows:
        return []
    if fields is None:
        fields = tuple(_header_name(c) for c in rows[0])
        rows = rows[1:]
    fields = tuple(ALIASES.get(f, f) for f in fields)
    parsed = []
    for row in rows:
        if len(row) != len(fields):
            raise ValueError("expected %d columns (%s), got %d: %r" % (len(fields), ", ".join(fields), len(row), ",".join(row)))
        parsed.append(dict(zip(fields, (c.strip() for c in row))))
    return parsed


def gpu_from_row(row: dict[str, str]) -> dict:
    """One GPU's facts from a query row; fields the row lacks are None."""
    return {
        "index": values.integer(row.get("index")),
        "name": values.text(row.get("name")),
        "uuid": values.text(row.get("uuid")),
        "pci_bus_id": values.pci_bus_id(row.get("pci.bus_id")),
        "driver_version": values.text(row.get("driver_version")),
        "memory_mib": values.integer(row.get("memory.total")),
        "persistence_mode": values.enabled(row.get("persistence_mode")),
        "mig_mode": values.enabled(row.get("mig.mode.current")),
        "ecc_mode": values.enabled(row.get("ecc.mode.current")),
        "ecc_errors_uncorrected_volatile": values.integer(row.get("ecc.errors.uncorrected.volatile.total")),
        "vbios_version": values.text(row.get("vbios_version")),
    }
