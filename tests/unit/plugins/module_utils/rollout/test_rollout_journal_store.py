"""Journal file I/O: atomic replace, no write when unchanged, check mode, parallel writers."""
import json
import multiprocessing
import os

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError


def test_update_writes_and_reports_change(tmp_path):
    path = str(tmp_path / "j" / "r1.json")
    before, after, changed = journal_store.update(path, lambda cur: {"sites": {"eu": 1}})
    assert before is None and changed and journal_store.load(path) == {"sites": {"eu": 1}}
    mtime = os.stat(path).st_mtime_ns
    changed = journal_store.update(path, dict)[2]
    assert not changed and os.stat(path).st_mtime_ns == mtime
    assert [p for p in os.listdir(os.path.dirname(path)) if p.endswith(".tmp")] == []


def test_check_mode_writes_nothing(tmp_path):
    path = str(tmp_path / "r1.json")
    after, changed = journal_store.update(path, lambda cur: {"x": 1}, check_mode=True)[1:]
    assert changed and after == {"x": 1} and not os.path.exists(path)


def test_failed_write_keeps_the_old_document(tmp_path):
    path = str(tmp_path / "r1.json")
    journal_store.atomic_write(path, json.dumps({"v": 1}))

    def boom(cur):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        journal_store.update(path, boom)
    assert journal_store.load(path) == {"v": 1}


def test_corrupt_journal_is_a_named_error(tmp_path):
    path = tmp_path / "r1.json"
    path.write_text("{not json")
    with pytest.raises(JournalError, match="Failed to read journal .*r1.json"):
        journal_store.load(str(path))


def _add_site(args):
    path, site = args
    for _count in range(20):
        journal_store.update(path, lambda cur, s=site: {**(cur or {}), s: (cur or {}).get(s, 0) + 1})


def test_parallel_writers_lose_no_update(tmp_path):
    path = str(tmp_path / "r1.json")
    with multiprocessing.Pool(4) as pool:
        pool.map(_add_site, [(path, "s%d" % i) for i in range(4)])
    assert journal_store.load(path) == {"s0": 20, "s1": 20, "s2": 20, "s3": 20}
