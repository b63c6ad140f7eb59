# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module whose work is an `execute()` shared with its action plugin ends."""

from __future__ import annotations

from typing import Any, Dict, Optional


def finish(module: Any, result: Dict[str, Any], error: Optional[str]) -> None:
    """fail_json with the error, else exit_json; the diff only in diff mode (as the action does)."""
    if not module._diff:
        result.pop("diff", None)
    if error:
        module.fail_json(msg=error, **result)
    module.exit_json(**result)
