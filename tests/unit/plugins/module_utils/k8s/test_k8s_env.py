"""A model server's env (module_utils/k8s/env.py): written whole, read back without literal values."""
from __future__ import annotations

import hashlib

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s import env

SECRET_REF = {"valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}


def test_entries_write_literals_secret_keys_and_value_from_in_name_order():
    assert env.entries({"B": "2", "A": {"secret": "hf", "key": "token"}, "C": SECRET_REF}) == [
        {"name": "A", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}},
        {"name": "B", "value": "2"},
        {"name": "C", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}},
    ]


def test_a_fingerprint_is_never_written_as_a_value():
    with pytest.raises(ValueError, match="env A holds a fingerprint"):
        env.entries({"A": {"sha256": "abc"}})


def test_a_read_keeps_value_from_whole_and_literals_only_as_fingerprints():
    kept = env.snapshot([{"name": "HF_TOKEN", "value": "hf_secret_value"}, {"name": "KEY", **SECRET_REF},
                         {"name": "EMPTY"}])
    assert kept == {"HF_TOKEN": {"sha256": hashlib.sha256(b"hf_secret_value").hexdigest()[:16]},
                    "KEY": SECRET_REF, "EMPTY": {"sha256": hashlib.sha256(b"").hexdigest()[:16]}}
    assert "hf_secret_value" not in repr(kept)
    assert env.redacted({"HF_TOKEN": "hf_secret_value"}) == {"HF_TOKEN": kept["HF_TOKEN"]}


def test_what_is_kept_writes_back_exactly_once_resolved():
    live = [{"name": "HF_TOKEN", "value": "hf_secret_value"}, {"name": "KEY", **SECRET_REF}]
    replica_sets = [{"spec": {"template": {"spec": {"containers": [
        {"name": "model-server", "env": [{"name": "HF_TOKEN", "value": "newer"}]},
    ]}}}}, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "env": [{"name": "HF_TOKEN", "value": "hf_secret_value"}]},
        {"name": "model-server", "env": live},
    ]}}}}]
    restored = env.resolve(env.snapshot(live), replica_sets, "model-server")
    assert env.entries(restored) == sorted(live, key=lambda e: e["name"])


def test_a_literal_no_replica_set_holds_any_more_is_named():
    kept = env.snapshot([{"name": "HF_TOKEN", "value": "gone"}, {"name": "B", "value": "x"}])
    with pytest.raises(ValueError, match="env B, HF_TOKEN before the release"):
        env.resolve(kept, [], "model-server")


@pytest.mark.parametrize("value, ok", [
    ("x", True), ({"secret": "s", "key": "k"}, True), (SECRET_REF, True),
    ({"secret": "s"}, False), (3, False), ({"valueFrom": {}}, False), ({"sha256": "abc"}, False),
])
def test_release_values(value, ok):
    assert (env.value_problem(value) is None) is ok
