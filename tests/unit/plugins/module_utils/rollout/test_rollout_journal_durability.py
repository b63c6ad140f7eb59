"""The journal is replaced, never rewritten in place: the new document goes to a temporary file in the
journal's directory, is flushed to disk (fsync), renamed over the journal, and the directory is
flushed. Observed through the system calls (os.fsync, os.replace, os.rename), not the code's shape."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import apply_event, new_journal

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
OLD = apply_event(new_journal("r1", "f" * 64, {}, "2026-12-01T00:00:00.000000Z"), "eu", {"status": "verified"}, NOW)
NEW = apply_event(OLD, "us", {"status": "deploying"}, NOW)


@pytest.fixture
def journal(tmp_path):
    path = tmp_path / "journal" / "r1.json"
    journal_store.update(str(path), lambda _current: OLD)
    return path


@pytest.fixture
def calls(monkeypatch):
    """Every fsync, replace and rename, with what the file descriptor or path held at that instant."""
    seen = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd):
        target = os.readlink("/proc/self/fd/%d" % fd)
        text = open(target, encoding="utf-8").read() if os.path.isfile(target) else None
        seen.append(("fsync", target, text))
        return real_fsync(fd)

    def replace(src, dst, **kwargs):
        seen.append(("rename", str(src), str(dst)))
        return real_replace(src, dst, **kwargs)

    def rename(src, dst, **kwargs):
        seen.append(("rename", str(src), str(dst)))
        return real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    return seen


def test_new_document_is_flushed_in_a_temp_file_then_renamed_over_the_journal(journal, calls):
    inode = journal.stat().st_ino
    journal_store.update(str(journal), lambda _current: NEW)
    renames = [c for c in calls if c[0] == "rename" and c[2] == str(journal)]
    assert len(renames) == 1, calls
    tmp = renames[0][1]
    assert os.path.dirname(tmp) == str(journal.parent) and tmp != str(journal)
    at = calls.index(renames[0])
    # The temp file was flushed with the whole new document before it became the journal ...
    assert any(c[0] == "fsync" and c[1] == tmp and json.loads(c[2]) == NEW for c in calls[:at]), calls
    # ... and the directory entry after.
    assert any(c[0] == "fsync" and c[1] == str(journal.parent) for c in calls[at + 1:]), calls
    assert json.loads(journal.read_text()) == NEW
    assert journal.stat().st_ino != inode, "the journal was rewritten in place"


def test_the_journal_holds_the_old_document_until_the_rename(journal, monkeypatch):
    real_replace = os.replace
    seen_at_rename = []

    def replace(src, dst, **kwargs):
        seen_at_rename.append(json.loads(journal.read_text()))
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", replace)
    journal_store.update(str(journal), lambda _current: NEW)
    assert seen_at_rename == [OLD]


def test_a_crash_while_flushing_keeps_the_old_document_and_no_temp_file(journal, monkeypatch):
    def crash(_fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(Exception):
        journal_store.update(str(journal), lambda _current: NEW)
    assert json.loads(journal.read_text()) == OLD
    assert sorted(p.name for p in journal.parent.iterdir() if not p.name.endswith(".lock")) == ["r1.json"]


def test_an_unchanged_document_is_not_written(journal, calls):
    inode = journal.stat().st_ino
    before, after, changed = journal_store.update(str(journal), dict)
    assert changed is False and before == after == OLD
    assert [c for c in calls if c[0] == "rename"] == [] and journal.stat().st_ino == inode
