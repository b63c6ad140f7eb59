from __future__ import annotations

import pytest
import yaml

from ansible_collections.gpufleet.datacenter.plugins.doc_fragments.k8s_auth import ModuleDocFragment
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import (
    AUTH_ARG_SPEC, CREDENTIALS_ARG_SPEC, GROUP_OPTIONS, auth_arg_spec, credentials_arg_spec)

# kubernetes.core's names for the same options (plugins/module_utils/args_common.py, client.py).
KUBERNETES_CORE = {
    "kubeconfig": ("path", None, "K8S_AUTH_KUBECONFIG"),
    "context": ("str", None, "K8S_AUTH_CONTEXT"),
    "host": ("str", None, "K8S_AUTH_HOST"),
    "api_key": ("str", None, "K8S_AUTH_API_KEY"),
    "ca_cert": ("path", ["ssl_ca_cert"], "K8S_AUTH_SSL_CA_CERT"),
    "client_cert": ("path", ["cert_file"], "K8S_AUTH_CERT_FILE"),
    "client_key": ("path", ["key_file"], "K8S_AUTH_KEY_FILE"),
    "proxy": ("str", None, "K8S_AUTH_PROXY"),
}


@pytest.mark.parametrize("fragment, spec", [(ModuleDocFragment.DOCUMENTATION, AUTH_ARG_SPEC),
                                            (ModuleDocFragment.CREDENTIALS, CREDENTIALS_ARG_SPEC)])
def test_spec_matches_doc_fragment(fragment, spec):
    docs = yaml.safe_load(fragment)["options"]
    assert set(docs) == set(spec)
    for name, entry in spec.items():
        assert docs[name]["type"] == entry["type"]
        assert docs[name].get("default") == entry.get("default")
        assert bool(docs[name].get("required")) == bool(entry.get("required"))
        assert docs[name].get("aliases") == entry.get("aliases")


@pytest.mark.parametrize("name", sorted(KUBERNETES_CORE))
def test_credentials_mirror_kubernetes_core(name):
    kind, aliases, env = KUBERNETES_CORE[name]
    spec = CREDENTIALS_ARG_SPEC[name]
    assert (spec["type"], spec.get("aliases")) == (kind, aliases)
    assert spec["fallback"][1][0] == env
    # The documentation names the variable the option falls back to.
    assert "E(%s)" % env in " ".join(yaml.safe_load(ModuleDocFragment.CREDENTIALS)["options"][name]["description"])


def test_token_is_no_log():
    assert CREDENTIALS_ARG_SPEC["api_key"]["no_log"] is True


def test_group_options_leave_out_the_site():
    assert "site" not in GROUP_OPTIONS
    assert set(GROUP_OPTIONS) == set(AUTH_ARG_SPEC) - {"site"}


def test_auth_arg_spec_is_a_copy():
    spec = auth_arg_spec()
    spec["site"]["required"] = False
    assert AUTH_ARG_SPEC["site"]["required"] is True


def test_credentials_without_environment_for_per_entry_options():
    spec = credentials_arg_spec(env=False)
    assert set(spec) == set(CREDENTIALS_ARG_SPEC)
    assert not [name for name, entry in spec.items() if "fallback" in entry]
    assert all("fallback" in entry for entry in CREDENTIALS_ARG_SPEC.values())
