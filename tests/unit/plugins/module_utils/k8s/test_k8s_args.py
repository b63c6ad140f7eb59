from __future__ import annotations

import yaml

from ansible_collections.gpufleet.datacenter.plugins.doc_fragments.k8s_auth import ModuleDocFragment
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import AUTH_ARG_SPEC, auth_arg_spec


def test_spec_matches_doc_fragment():
    docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(docs) == set(AUTH_ARG_SPEC)
    for name, spec in AUTH_ARG_SPEC.items():
        assert docs[name]["type"] == spec["type"]
        assert docs[name].get("default") == spec.get("default")
        assert bool(docs[name].get("required")) == bool(spec.get("required"))


def test_auth_arg_spec_is_a_copy():
    spec = auth_arg_spec()
    spec["site"]["required"] = False
    assert AUTH_ARG_SPEC["site"]["required"] is True
