"""container_runtime's containerd configuration, rendered by the role and read by a TOML parser.

k3s writes its own containerd configuration (`{{ template "base" . }}`), nvidia runtime included
when nvidia-container-runtime is on its PATH; a template that defines that table again is invalid
TOML and k3s's containerd does not start. The role's template is rendered here by the role itself
(check mode, diff), k3s's base is put in its place and the whole is parsed with tomllib.
"""
import hashlib
import os
import re
import tomllib

import pytest
import yaml

from .role_play import ROOT, diff_after, facts_for, include_role, run_tasks

FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "k3s")
BASE_LINE = '{{ template "base" . }}'
MARKER = "rendered whole by gpufleet.datacenter.container_runtime"
KATA_V3 = """[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.kata]
  runtime_type = "io.containerd.kata.v2"
"""


def k3s_base(version):
    with open(os.path.join(FIXTURES, "containerd-base-v%d.toml" % version), encoding="utf-8") as handle:
        return handle.read()


def expand(template_text, version):
    """What k3s writes from the template: its base in place of the base line."""
    assert template_text.count(BASE_LINE) == 1, template_text
    return template_text.replace(BASE_LINE, k3s_base(version))


def runtimes(config, version):
    if version == 3:
        return config["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
    return config["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]


def run_k3s_flavour(tmp_path, platform="debian12", **role_vars):
    containerd_dir = tmp_path / "containerd"
    containerd_dir.mkdir(exist_ok=True)
    extra = {"container_runtime_flavor": "k3s", "container_runtime_nvidia_toolkit": False,
             "container_runtime_k3s_containerd_dir": str(containerd_dir)}
    extra.update(role_vars)
    return run_tasks(tmp_path, [include_role("container_runtime")], facts_for(platform), extra)


def test_the_base_fixtures_hold_the_nvidia_runtime_k3s_writes():
    # The old template (nvidia runtime after the base) against these fixtures is the reported break.
    for version in (2, 3):
        assert "nvidia" in runtimes(tomllib.loads(k3s_base(version)), version)
    old = '{{ template "base" . }}\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."nvidia"]\n' \
          '  runtime_type = "io.containerd.runc.v2"\n'
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(expand(old, 2))


@pytest.mark.parametrize("platform", ["debian12", "rhel9"])
def test_k3s_flavour_writes_no_template_by_default(tmp_path, platform):
    run = run_k3s_flavour(tmp_path, platform)
    assert not run.failed, run.proc.stdout[-3000:]
    assert not run.ran("Render the containerd configuration")
    assert list((tmp_path / "containerd").iterdir()) == []


def test_k3s_flavour_removes_the_template_an_earlier_release_wrote_and_keeps_foreign_ones(tmp_path):
    containerd_dir = tmp_path / "containerd"
    containerd_dir.mkdir()
    ours = containerd_dir / "config.toml.tmpl"
    ours.write_text("# " + MARKER + "\n" + BASE_LINE + "\n[plugins.x]\n")
    foreign = containerd_dir / "config-v3.toml.tmpl"
    foreign.write_text(BASE_LINE + "\n# the site's own template\n")
    run = run_k3s_flavour(tmp_path)
    assert not run.failed, run.proc.stdout[-3000:]
    removed = run.result("Remove the k3s containerd templates no longer wanted")
    assert removed["changed"]
    assert [r["path"] for r in removed["results"] if r.get("changed")] == [str(ours)]


@pytest.mark.parametrize("version,name", [(3, "config-v3.toml.tmpl"), (2, "config.toml.tmpl")])
def test_k3s_template_with_extra_tables_is_valid_toml_after_k3s_base(tmp_path, version, name):
    extra = KATA_V3 if version == 3 else KATA_V3.replace(
        "'io.containerd.cri.v1.runtime'.containerd", '"io.containerd.grpc.v1.cri".containerd')
    run = run_k3s_flavour(tmp_path, container_runtime_k3s_containerd_template=extra,
                          container_runtime_k3s_containerd_config_version=version)
    assert not run.failed, run.proc.stdout[-3000:]
    rendered = run.result("Render the containerd configuration")
    assert rendered["changed"]
    assert rendered["invocation"]["module_args"]["dest"] == str(tmp_path / "containerd" / name)
    config = tomllib.loads(expand(diff_after(rendered), version))
    assert set(runtimes(config, version)) == {"runc", "nvidia", "kata"}
    assert runtimes(config, version)["nvidia"]["options"]["BinaryName"] == "/usr/bin/nvidia-container-runtime"


def nvidia_table_re():
    with open(os.path.join(ROOT, "roles", "container_runtime", "vars", "main.yml"), encoding="utf-8") as handle:
        return re.compile(yaml.safe_load(handle)["__container_runtime_nvidia_table_re"])


@pytest.mark.parametrize("table", [
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.'nvidia']",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."nvidia".options]',
    "  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia]",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]',
])
def test_nvidia_runtime_tables_are_recognised_in_every_quoting(table):
    assert nvidia_table_re().search("# extra\n" + table + '\n  runtime_type = "x"\n')


@pytest.mark.parametrize("text", [
    KATA_V3,
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.'nvidia-experimental']",
    "# [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.'nvidia'] is k3s's",
])
def test_other_tables_are_not_taken_for_the_nvidia_runtime(text):
    assert not nvidia_table_re().search(text)


def test_k3s_template_defining_the_nvidia_runtime_is_refused(tmp_path):
    table = "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.'nvidia']"
    run = run_k3s_flavour(tmp_path, container_runtime_k3s_containerd_template=table + '\n  runtime_type = "x"\n')
    assert run.failed
    assert any("defines an nvidia runtime table" in m for m in run.failure_messages()), run.failure_messages()
    assert "Render the containerd configuration" not in run.names()


@pytest.mark.parametrize("toolkit", [True, False])
def test_containerd_flavour_config_is_one_valid_toml_file(tmp_path, toolkit):
    extra = {"container_runtime_flavor": "containerd", "container_runtime_nvidia_toolkit": toolkit,
             "container_runtime_nvidia_toolkit_method": "artifact",
             "container_runtime_config_path": str(tmp_path / "config.toml"),
             "container_runtime_registry_mirrors": {"registry.example.com": ["https://mirror.site.example:5000"]},
             # As on a fresh host in check mode: no containerd unit yet, so the restart handler stands aside.
             "__container_runtime_containerd_install": {"changed": True}}
    run = run_tasks(tmp_path, [include_role("container_runtime", "configure")], facts_for("debian12"), extra)
    assert not run.failed, run.proc.stdout[-3000:]
    config = tomllib.loads(diff_after(run.result("Render the containerd configuration")))
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert set(cri["containerd"]["runtimes"]) == ({"runc", "nvidia"} if toolkit else {"runc"})
    assert cri["registry"]["mirrors"]["registry.example.com"]["endpoint"] == ["https://mirror.site.example:5000"]


def test_artifact_binary_with_another_checksum_is_refused_naming_its_path(tmp_path):
    # The message names the binary from the role's variables on every ansible-core line (2.21
    # no longer puts a module's arguments, `invocation`, in its result by default).
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    checksums = {}
    for name in ("nvidia-ctk", "nvidia-container-runtime", "nvidia-cdi-hook"):
        (artifacts / name).write_text("#!/bin/sh\necho " + name + "\n")
        checksums[name] = hashlib.sha256((artifacts / name).read_bytes()).hexdigest()
    (artifacts / "nvidia-ctk").write_text("#!/bin/sh\necho tampered\n")
    extra = {"container_runtime_nvidia_toolkit_artifact_url": str(artifacts),
             "container_runtime_nvidia_toolkit_artifact_checksums": checksums,
             "container_runtime_nvidia_toolkit_bin_dir": str(tmp_path / "bin")}
    run = run_tasks(tmp_path, [include_role("container_runtime", "toolkit_artifact")], facts_for("debian12"), extra)
    assert run.failed
    refused = run.result("Assert the controller's binaries match their checksums")
    # Not the items' `failed`: ansible-core 2.21 leaves it out of what callbacks see.
    messages = [item["msg"] for item in refused["results"] if item["msg"] != "All assertions passed"]
    tampered = hashlib.sha256((artifacts / "nvidia-ctk").read_bytes()).hexdigest()
    assert messages == ["container_runtime: host localhost: artifact %s/nvidia-ctk has sha256 %s, expected %s."
                        % (artifacts, tampered, checksums["nvidia-ctk"])], refused
    assert "Copy the toolkit binaries" not in run.names()
