"""Recorded nvidia-smi / lspci outputs in tests/unit/fixtures/nvidia-smi/.

Each file starts with '#' lines saying where the output was recorded, then a
'# ---' line; everything after it is the command's output, verbatim.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "nvidia-smi"


def load(name: str) -> str:
    text = (FIXTURES / name).read_text()
    head, sep, body = text.partition("# ---\n")
    assert sep, "%s has no '# ---' line after its source header" % name
    assert all(line.startswith("#") for line in head.splitlines()), "%s: header lines must start with '#'" % name
    return body


def header(name: str) -> str:
    return (FIXTURES / name).read_text().partition("# ---\n")[0]


def fields_of(name: str) -> tuple[str, ...]:
    """The query field list a noheader fixture records in its '# fields:' line."""
    for line in header(name).splitlines():
        if line.startswith("# fields:"):
            return tuple(f.strip() for f in line.split(":", 1)[1].split(","))
    raise AssertionError("%s has no '# fields:' line" % name)


def all_fixtures() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_file())


class Host:
    """Answers the commands gpu_facts runs with recorded outputs, as a host would.

    query/xml/lspci/systemctl: (rc, stdout, stderr) for that command, or None when the
    binary is not installed. Records every command it was asked to run.
    """

    def __init__(self, query=None, xml=None, lspci=None, systemctl=None):
        self.answers = {"nvidia-smi": query, "nvidia-smi -q": xml, "lspci": lspci, "systemctl": systemctl}
        self.calls = []

    def which(self, name):
        key = "nvidia-smi" if name == "nvidia-smi" else name
        return "/usr/bin/%s" % name if self.answers.get(key) is not None else None

    def run(self, args):
        self.calls.append(list(args))
        tool = args[0].rsplit("/", 1)[-1]
        key = "nvidia-smi -q" if tool == "nvidia-smi" and "-q" in args else tool
        answer = self.answers[key]
        assert answer is not None, "ran %s, which this host does not have" % args
        return answer
