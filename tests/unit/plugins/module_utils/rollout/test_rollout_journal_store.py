"""Journal file I/O: atomic replace, no write when unchanged, check mode, parallel writers."""
import copy
import json
import multiprocessing
import os

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout import journal_store
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import JournalError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import new_journal


def doc(**sites):
    journal = new_journal("r1", "f" * 64, {}, "2026-01-01T00:00:00.000000Z")
    journal["sites"] = {name: {"status": "pending", "count": count} for name, count in sites.items()}
    return journal


def test_update_writes_and_reports_change(tmp_path):
    path = str(tmp_path / "j" / "r1.json")
    before, after, changed = journal_store.update(path, lambda cur: doc(eu=1))
    assert before is None and changed and journal_store.load(path) == doc(eu=1)
    mtime = os.stat(path).st_mtime_ns
    changed = journal_store.update(path, dict)[2]
    assert not changed and os.stat(path).st_mtime_ns == mtime
    assert [p for p in os.listdir(os.path.dirname(path)) if p.endswith(".tmp")] == []


def test_check_mode_writes_nothing(tmp_path):
    path = str(tmp_path / "r1.json")
    after, changed = journal_store.update(path, lambda cur: doc(x=1), check_mode=True)[1:]
    assert changed and after == doc(x=1) and not os.path.exists(path)


def test_failed_write_keeps_the_old_document(tmp_path):
    path = str(tmp_path / "r1.json")
    journal_store.atomic_write(path, json.dumps(doc(v=1)))

    def boom(cur):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        journal_store.update(path, boom)
    assert journal_store.load(path) == doc(v=1)


def test_corrupt_journal_is_a_named_error(tmp_path):
    path = tmp_path / "r1.json"
    path.write_text("{not json")
    with pytest.raises(JournalError, match="Failed to read journal .*r1.json"):
        journal_store.load(str(path))


def _add_site(args):
    path, site = args
    for _count in range(20):
        journal_store.update(path, lambda cur, s=site: bump(cur, s))


def bump(current, site):
    journal = copy.deepcopy(current) if current else doc()
    journal["sites"].setdefault(site, {"status": "pending", "count": 0})["count"] += 1
    return journal


def test_parallel_writers_lose_no_update(tmp_path):
    path = str(tmp_path / "r1.json")
    with multiprocessing.Pool(4) as pool:
        pool.map(_add_site, [(path, "s%d" % i) for i in range(4)])
    assert journal_store.load(path) == doc(s0=20, s1=20, s2=20, s3=20)


@pytest.mark.parametrize("document, named", [
    ({"schema": 99, "release": "r1", "sites": {}}, "schema 99 is not supported"),
    ([1, 2], "not a JSON object"),
    ({"schema": 1, "release": "../../etc", "sites": {}}, "is not a release name"),
    ({"schema": 1, "release": "r1", "sites": []}, "sites is not a mapping"),
    ({"schema": 1, "release": "r1", "sites": {"eu": {"status": "done"}}}, "sites.eu.status 'done'"),
    ({"schema": 1, "release": "r1", "sites": {"eu": {"status": "verified", "before": "x"}}}, "before/after"),
])
def test_wrong_shape_is_refused_naming_the_file_and_the_way_out(tmp_path, document, named):
    path = tmp_path / "r1.json"
    path.write_text(json.dumps(document))
    with pytest.raises(JournalError) as info:
        journal_store.load(str(path))
    assert named in str(info.value) and str(path) in str(info.value) and "move the file aside" in str(info.value)


def test_files_are_private_and_the_directory_is_tightened(tmp_path):
    directory = tmp_path / "reports"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    path = str(directory / "r1.json")
    journal_store.update(path, lambda cur: doc(eu=1))
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(directory).st_mode & 0o777 == 0o700


def test_a_shared_sticky_directory_is_left_alone(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    journal_store.atomic_write(str(shared / "r1.json"), "{}")
    assert os.stat(shared).st_mode & 0o7777 == 0o1777
    assert os.stat(shared / "r1.json").st_mode & 0o777 == 0o600


def test_stale_temp_files_of_a_killed_writer_are_removed_under_the_lock(tmp_path):
    path = tmp_path / "r1.json"
    stale = tmp_path / ".r1.json.abc123.tmp"
    stale.write_text("{half")
    other = tmp_path / ".report.json.x.tmp"
    other.write_text("another file's temp")
    journal_store.update(str(path), lambda cur: doc(eu=1))
    assert not stale.exists() and other.exists()


def test_read_errors_name_the_file_the_cause_and_the_way_out(tmp_path):
    path = tmp_path / "r1.json"
    path.write_text("{not json")
    with pytest.raises(JournalError) as info:
        journal_store.load(str(path))
    text = str(info.value)
    assert text.startswith("Failed to read journal %s: not valid JSON (Expecting property name" % path)
    assert text.endswith("); " + journal_store.RECOVERY_HINT)
    path.write_text(json.dumps({"schema": 99, "release": "r1", "sites": []}))
    with pytest.raises(JournalError) as info:
        journal_store.load(str(path))
    assert str(info.value).startswith("Failed to read journal %s: schema 99 is not supported" % path)
    assert "; sites is not a mapping" in str(info.value)
    assert str(info.value).endswith("; " + journal_store.RECOVERY_HINT)
    with pytest.raises(JournalError) as info:
        journal_store.load(str(tmp_path))
    assert str(info.value) == "Failed to read journal %s: [Errno 21] Is a directory: '%s'" % (tmp_path, tmp_path)
    assert journal_store.load(str(tmp_path / "none.json")) is None


def test_a_new_directory_is_private_and_holds_the_journal_and_its_lock(tmp_path):
    path = tmp_path / "reports" / "journal" / "r1.json"
    journal_store.update(str(path), lambda cur: doc(eu=1))
    assert os.stat(path.parent).st_mode & 0o777 == 0o700
    assert sorted(os.listdir(path.parent)) == ["r1.json", "r1.json.lock"]
    assert path.read_text() == journal_store.dumps(doc(eu=1))


def test_check_mode_creates_no_directory(tmp_path):
    path = tmp_path / "reports" / "r1.json"
    before, after, changed = journal_store.update(str(path), lambda cur: doc(x=1), check_mode=True)
    assert (before, after, changed) == (None, doc(x=1), True)
    assert not os.path.exists(tmp_path / "reports")


def test_a_group_readable_directory_of_ours_is_tightened(tmp_path):
    for mode in (0o750, 0o705, 0o770, 0o670):
        directory = tmp_path / ("d%o" % mode)
        directory.mkdir()
        os.chmod(directory, mode)
        journal_store.private_dir(str(directory))
        assert os.stat(directory).st_mode & 0o7777 == 0o700


def test_a_temp_file_left_by_a_writer_killed_mid_write_is_cleaned_by_the_next_update(tmp_path):
    path = str(tmp_path / "r1.json")
    journal_store.update(path, lambda cur: doc(eu=1))
    child = os.fork()
    if child == 0:  # the writer dies between writing its temp file and the rename
        os.fsync = lambda fd: os._exit(0)
        journal_store.atomic_write(path, journal_store.dumps(doc(eu=2)))
        os._exit(1)
    _pid, status = os.waitpid(child, 0)
    assert os.WEXITSTATUS(status) == 0
    [left] = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert left.startswith(".r1.json.")
    assert journal_store.load(path) == doc(eu=1)
    journal_store.update(path, lambda cur: doc(eu=3))
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []
    assert journal_store.load(path) == doc(eu=3)


def test_a_directory_of_ours_closed_to_others_keeps_its_mode(tmp_path):
    directory = tmp_path / "mine"
    directory.mkdir()
    os.chmod(directory, 0o500)
    journal_store.private_dir(str(directory))
    assert os.stat(directory).st_mode & 0o7777 == 0o500
