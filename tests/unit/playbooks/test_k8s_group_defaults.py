"""The `k8s` action group: exactly the modules that talk to a site, and a play's module_defaults
for `group/gpufleet.datacenter.k8s` reaches every one of them (a real ansible-playbook run)."""
import glob
import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import (
    CREDENTIALS_ARG_SPEC, GROUP_OPTIONS, TIMEOUTS_ARG_SPEC)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FRAGMENTS = ("gpufleet.datacenter.k8s_auth", "gpufleet.datacenter.k8s_auth.credentials")


def group_members():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)["action_groups"]["k8s"]


def fragments_of(module):
    """The doc fragments a module's DOCUMENTATION extends (the list under the key)."""
    doc = __import__("ansible_collections.gpufleet.datacenter.plugins.modules." + module, fromlist=["x"]).DOCUMENTATION
    lines = doc.splitlines()
    if "extends_documentation_fragment:" not in lines:
        return set()
    found = set()
    for line in lines[lines.index("extends_documentation_fragment:") + 1:]:
        if not line.startswith("  - "):
            break
        found.add(line[4:].strip())
    return found


def test_group_lists_exactly_the_modules_documented_with_site_auth():
    modules = [os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))]
    with_auth = sorted(m for m in modules if fragments_of(m) & set(FRAGMENTS))
    assert sorted(group_members()) == with_auth
    assert {"model_deploy", "model_versions", "rollout_preflight", "rollout_site"} <= set(with_auth)


def argument_spec(member):
    module = __import__("ansible_collections.gpufleet.datacenter.plugins.modules." + member, fromlist=["x"])
    return module.argument_spec() if hasattr(module, "argument_spec") else module.ARGUMENT_SPEC


@pytest.mark.parametrize("member", group_members())
def test_every_member_takes_the_group_options_with_their_meaning(member):
    spec = argument_spec(member)
    shared = dict(CREDENTIALS_ARG_SPEC, **TIMEOUTS_ARG_SPEC)
    for option in GROUP_OPTIONS:
        assert option in spec, option
        # Same type, aliases and environment variables: a default means the same to every member.
        for key in ("type", "aliases", "fallback", "no_log"):
            assert spec[option].get(key) == shared[option].get(key), (option, key)


def test_module_defaults_for_the_group_reach_every_member(tmp_path):
    """Each member fails on the kubeconfig that only the group defaults name: the defaults were
    accepted (no "Unsupported parameters") and used."""
    missing = str(tmp_path / "from-group-defaults.kubeconfig")
    defaults = {"kubeconfig": missing, "context": "ctx", "host": "https://127.0.0.1:1", "api_key": "group-token",
                "ssl_ca_cert": str(tmp_path / "ca.pem"), "cert_file": str(tmp_path / "c.pem"),
                "key_file": str(tmp_path / "k.pem"), "proxy": "http://127.0.0.1:1",
                "connect_timeout": 1, "read_timeout": 1, "api_retries": 0}
    model = {"name": "llm", "namespace": "serving", "version": "1"}
    tasks = {
        "model_deploy": {"site": "s", "name": "llm", "namespace": "serving", "image": "r/m:1", "model_version": "1"},
        "model_versions": {"sites": [{"name": "s"}], "models": [model]},
        "rollout_preflight": {"site": "s", "models": [model]},
        "rollout_site": {"site": "s", "models": [model], "policy": {}, "action": "read"},
    }
    assert sorted(tasks) == sorted(group_members())
    play = [{
        "name": "Every k8s group member with the group's defaults", "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/gpufleet.datacenter.k8s": defaults},
        "tasks": [{"name": member, "gpufleet.datacenter.%s" % member: args, "register": "__" + member,
                   "ignore_errors": True} for member, args in sorted(tasks.items())] + [
            {"name": "Results", "ansible.builtin.debug": {
                "msg": {m: "{{ __%s }}" % m for m in sorted(tasks)}}}],
    }]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([playbook, "-i", "localhost,", "-c", "local", str(path)], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Action plugins print progress lines before the callback's JSON document.
    out = json.loads(proc.stdout[proc.stdout.index("\n{") + 1:] if not proc.stdout.startswith("{") else proc.stdout)
    results = out["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"]
    for member in sorted(tasks):
        text = json.dumps(results[member])
        assert "Unsupported parameters" not in text, (member, text)
        assert "Failed to load kubeconfig %s" % missing in text, (member, text)
        # no_log: the token never comes back.
        assert "group-token" not in text, (member, text)
