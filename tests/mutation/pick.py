"""Names of the mutants to (re)check: those matching the globs that have no result yet, with
`survived` those that survived (to check them again after a test was added), with `open` both.

    pick.py MUTANTS_DIR unchecked|survived|open GLOB...

Reads mutmut's own record (the .meta file next to each mutated rule file). mutmut checks every
mutant whose name it is given again, so scripts/mutation.sh hands it only these.
"""
from __future__ import annotations

import fnmatch
import json
import os
import sys

# mutmut's exit codes: none yet; survived or no tests
WANTED = {"unchecked": (None,), "survived": (0, 5, 33), "open": (None, 0, 5, 33)}


def main(mutants_dir: str, which: str, globs: list) -> int:
    for root, _dirs, files in os.walk(mutants_dir):
        for name in sorted(files):
            if not name.endswith(".py.meta"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                codes = json.load(handle)["exit_code_by_key"]
            for mutant, code in sorted(codes.items()):
                if code in WANTED[which] and any(fnmatch.fnmatchcase(mutant, g) for g in globs):
                    print(mutant)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
