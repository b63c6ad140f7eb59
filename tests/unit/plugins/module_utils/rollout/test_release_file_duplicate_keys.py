"""The release reader refuses a key given twice in one mapping, naming both lines."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import ReleaseInvalid
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release_file import (
    check_release_file, load_yaml)

SITES = [{"name": "eu", "host": "api-eu", "wave": 1}]


def write(tmp_path, text):
    path = tmp_path / "release.yml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, key, line, first", [
    ("release: r1\nmodels:\n  - name: m\n    replicas: 1\n    version: '1'\n    replicas: 3\n", "replicas", 6, 4),
    ("release: r1\nrelease: r2\n", "release", 2, 1),
    ("policy: {on_failure: halt, soak_seconds: 1, on_failure: rollback_all}\n", "on_failure", 1, 1),
    ("models:\n  - sites:\n      eu: {replicas: 1}\n      eu: {replicas: 2}\n", "eu", 4, 3),
])
def test_duplicate_key_refused_with_its_lines(tmp_path, text, key, line, first):
    with pytest.raises(ReleaseInvalid) as raised:
        load_yaml(write(tmp_path, text))
    assert "(file): line %d: duplicate key %r (first at line %d)" % (line, key, first) in str(raised.value)


def test_release_check_reports_it_as_the_file_problem(tmp_path):
    path = write(tmp_path, "release: r1\nmodels:\n  - {name: m, image: 'r/m:1', version: '1', replicas: 1, replicas: 2}\n"
                           "policy: {require_digest: false}\n")
    with pytest.raises(ReleaseInvalid) as raised:
        check_release_file(path, SITES, str(tmp_path))
    assert "line 3: duplicate key 'replicas'" in str(raised.value)


def test_same_key_in_different_mappings_and_merge_overrides_are_fine(tmp_path):
    data = load_yaml(write(tmp_path, "base: &b {replicas: 1, gpus: 1}\na: {replicas: 2}\n"
                                     "b:\n  <<: *b\n  replicas: 3\n"))
    assert data["a"] == {"replicas": 2} and data["b"] == {"replicas": 3, "gpus": 1}


def test_other_yaml_errors_still_reported(tmp_path):
    with pytest.raises(ReleaseInvalid, match="is not valid YAML"):
        load_yaml(write(tmp_path, "release: [unclosed\n"))
