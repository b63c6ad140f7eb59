"""Score of a `mutmut results --all true` listing: killed / survived / equivalent, per rule file and overall.

    score.py RESULTS EQUIVALENT MIN_SCORE SECONDS

EQUIVALENT lists, one per line, `<mutant name>  # why no test can tell it from the original`
(docs/testing.md explains each). Exits 1 when fewer than MIN_SCORE % of the non-equivalent mutants
are killed, and names every survivor that is not explained. Mutants not checked yet (a run stopped
or limited to some names) are counted apart and left out of the score.
"""
from __future__ import annotations

import sys
from collections import Counter, defaultdict

PREFIX = "ansible_collections.gpufleet.datacenter.plugins."
KILLED = {"killed", "timeout", "caught by type check"}
NOT_CHECKED = {"not checked", "check was interrupted by user"}


def module_of(name: str) -> str:
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("x_") or part.startswith("x\u01c1"):
            return ".".join(parts[:i])[len(PREFIX):]
    return name


def main(results_path: str, equivalent_path: str, min_score: float, seconds: int) -> int:
    results = {}
    for line in open(results_path, encoding="utf-8"):
        name, sep, status = line.strip().rpartition(": ")
        if sep and name.startswith(PREFIX):
            results[name] = status
    equivalent = {}
    for line in open(equivalent_path, encoding="utf-8"):
        name, _hash, why = line.partition("#")
        if name.strip():
            equivalent[name.strip()] = why.strip()
    if not results:
        print("mutation: no results (did mutmut run?)")
        return 1
    per_module = defaultdict(Counter)
    unexplained = []
    for name, status in sorted(results.items()):
        if status in NOT_CHECKED:
            verdict = "not checked"
        elif status in KILLED:
            verdict = "killed"
        else:
            verdict = "equivalent" if name in equivalent else "survived"
        per_module[module_of(name)][verdict] += 1
        if verdict == "survived":
            unexplained.append("%s (%s)" % (name, status))
    stale = sorted(n for n in equivalent if results.get(n) in KILLED or n not in results)
    total = Counter()
    print("%-36s %7s %9s %11s %6s %12s" % ("rule file", "killed", "survived", "equivalent", "score", "not checked"))
    for module, counts in sorted(per_module.items()):
        total.update(counts)
        live = counts["killed"] + counts["survived"]
        rate = 100.0 * counts["killed"] / live if live else 100.0
        print("%-36s %7d %9d %11d %5.1f%% %12d" % (
            module, counts["killed"], counts["survived"], counts["equivalent"], rate, counts["not checked"]))
    live = total["killed"] + total["survived"]
    score = 100.0 * total["killed"] / live if live else 100.0
    print("%-36s %7d %9d %11d %5.1f%% %12d" % (
        "all", total["killed"], total["survived"], total["equivalent"], score, total["not checked"]))
    print("mutation: %d mutants, this run %d s; killed %d, survived %d, equivalent %d, not checked %d; score %.1f%% "
          "of the non-equivalent checked (minimum %s%%)" % (
              len(results), seconds, total["killed"], total["survived"], total["equivalent"], total["not checked"],
              score, min_score))
    for name in unexplained:
        print("survived: " + name)
    for name in stale:
        print("note: listed as equivalent but %s: %s" % ("killed now" if name in results else "no such mutant", name))
    if total["not checked"]:
        print("mutation: incomplete, %d mutants not checked yet (run scripts/mutation.sh again to continue)"
              % total["not checked"])
        return 1
    return 0 if score >= min_score else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
