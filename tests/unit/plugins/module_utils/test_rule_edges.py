"""Edges of the core rules that the mutation run (make mutation, docs/testing.md) found untested."""
from __future__ import annotations

import json

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.versions import short
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.capacity import held_by
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import new_journal
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import model_at_desired

CHAT = {"app.kubernetes.io/name": "chat"}


def pod(gpus, phase="Running", labels=None, namespace="models", node="n1"):
    return {"metadata": {"namespace": namespace, "labels": labels or CHAT},
            "spec": {"nodeName": node, "containers": [{"resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]},
            "status": {"phase": phase}}


@pytest.mark.parametrize("pods, held", [
    ([pod(1, phase="Failed"), pod(2)], 2),                       # a failed pod released its GPUs
    ([pod(4, labels={"app.kubernetes.io/name": "embed"}), pod(2)], 2),   # other model first: not the end
    ([pod(4, phase="Succeeded"), pod(2)], 2),
    ([pod(4, node=None), pod(2)], 2),
])
def test_held_by_looks_at_every_pod(pods, held):
    assert held_by(pods, "models", CHAT) == held


DESIRED = {"name": "chat", "version": "2", "image": "r.example/chat:2", "replicas": 1}


@pytest.mark.parametrize("current", [
    None, {"exists": False},
    {"exists": True, "version": "2", "image": "r.example/chat:2", "replicas": 1, "ready_replicas": None},
    {"exists": True, "version": "2", "image": "r.example/chat:2", "replicas": 1, "ready_replicas": 0},
    {"exists": True, "version": "2", "image": "r.example/chat:2", "replicas": 2, "ready_replicas": 2},
])
def test_not_at_the_release(current):
    assert model_at_desired(current, DESIRED) is False


def test_at_the_release():
    current = {"exists": True, "version": "2", "image": "r.example/chat:2", "replicas": 1, "ready_replicas": 1}
    assert model_at_desired(current, DESIRED) is True


def test_drift_line_joins_every_reason():
    row = {"site": "eu", "namespace": "models", "name": "chat", "drift_reasons": ["version 1, want 2", "image a, want b"]}
    assert short(row) == "eu/models/chat (version 1, want 2; image a, want b)"


def test_check_mode_sees_the_journal_on_disk(tmp_path):
    path = str(tmp_path / "r1.json")
    document = new_journal("r1", "f" * 64, {}, "2026-12-01T00:00:00.000000Z")
    journal_store.update(path, lambda _current: document)
    seen = []

    def keep(current):
        seen.append(current)
        return current

    before, after, changed = journal_store.update(path, keep, check_mode=True)
    assert seen == [document] and before == after == document and changed is False


def test_a_journal_that_cannot_be_written_is_a_named_error(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the journal directory should be")
    path = str(blocker / "journal" / "r1.json")
    with pytest.raises(JournalError) as err:
        journal_store.update(path, lambda _current: new_journal("r1", "f" * 64, {}, "t"))
    assert str(err.value).startswith("Failed to update journal %s: " % path)
    assert "Not a directory" in str(err.value)


def test_journal_file_is_stable_sorted_json(tmp_path):
    # Humans diff journals between runs; sorted keys and an indent keep those diffs small.
    text = journal_store.dumps({"b": 1, "a": {"d": 2, "c": 3}})
    assert text == json.dumps({"a": {"c": 3, "d": 2}, "b": 1}, indent=2) + "\n"
