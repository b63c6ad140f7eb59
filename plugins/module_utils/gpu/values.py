# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn nvidia-smi field values into Python values (pure).

The same field reads differently across drivers and output formats: "81559" with
nounits, "81559 MiB" without, "N/A" on old drivers, "[N/A]" or "[Not Supported]"
on newer ones, "[Requested functionality has been deprecated]" for retired fields.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:[A-Za-z%]+)?\s*$")


def missing(value: str | None) -> bool:
    if value is None:
        return True
    v = value.strip()
    if not v or v.upper() in ("N/A", "NONE"):
        return True
    # Every bracketed value is nvidia-smi saying it has no value: [N/A], [Not Supported],
    # [Unknown Error], [Insufficient Permissions], [Requested functionality has been deprecated].
    return v.startswith("[") and v.endswith("]")


def text(value: str | None) -> str | None:
    return None if missing(value) else value.strip()


def integer(value: str | None) -> int | None:
    """An integer with an optional unit ("81559 MiB", "0", "40960"); None when absent or not numeric."""
    if missing(value):
        return None
    m = _NUMBER.match(value)
    if not m:
        return None
    return int(float(m.group(1)))


def enabled(value: str | None) -> bool | None:
    """Enabled/Disabled (persistence, MIG, ECC modes) as a bool; None when not applicable."""
    v = text(value)
    if v is None:
        return None
    low = v.lower()
    if low in ("enabled", "enable", "on", "yes", "1"):
        return True
    if low in ("disabled", "disable", "off", "no", "0"):
        return False
    return None


def pci_bus_id(value: str | None) -> str | None:
    """Normalise a PCI address to domain:bus:device.function, lower case, 4-digit domain.

    nvidia-smi prints 00000000:3B:00.0, lspci -D prints 0000:3b:00.0; both become 0000:3b:00.0.
    """
    v = text(value)
    if v is None:
        return None
    parts = v.lower().split(":")
    if len(parts) == 2:
        parts = ["0"] + parts
    if len(parts) != 3:
        return v.lower()
    try:
        domain = int(parts[0], 16)
    except ValueError:
        return v.lower()
    return "%04x:%s:%s" % (domain, parts[1].zfill(2), parts[2])
