"""Replay recorded server responses to the health gate (fixtures/*/ YAML files)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import Response, decode_body

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return yaml.safe_load((FIXTURES / name).read_text())


class Replay:
    """A requester answering from recorded responses; unknown paths answer 404 as the servers do."""

    def __init__(self, recorded: dict[str, dict]) -> None:
        self.recorded = recorded
        self.calls: list[tuple[str, str]] = []

    def __call__(self, method, url, options, body=None):
        path = urlsplit(url).path
        self.calls.append((method, path))
        hit = self.recorded.get("%s %s" % (method, path))
        if hit is None:
            return Response(status=404, body={"error": "not recorded"})
        return Response(status=hit["status"], body=decode_body(hit["body"].encode()))


def tfserving(*names: str) -> dict[str, dict]:
    recorded = {}
    for name in names:
        f = load("tfserving/%s" % name)
        recorded["GET %s" % f["request"]] = {"status": f["status"], "body": f["body"]}
    return recorded
