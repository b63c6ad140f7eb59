"""The built tarball, installed outside this repository with its declared dependencies (offline,
from the PyPI `ansible` bundle's copies), rolls a release out on the lab: the installed collection,
not the working tree, does the work."""
from __future__ import annotations

import glob
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rollout"))
from rollout_lab import prepared  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
BUNDLE = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"


@pytest.fixture
def rollout(lab, tmp_path):
    yield from prepared(lab, tmp_path)


def run(cmd, env, cwd, timeout=600):
    return subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_installed_tarball_rolls_a_release_out(lab, rollout, tmp_path):
    home = tmp_path / "user"
    home.mkdir()
    # Only the installed copy: no checkout on the collections path, no collections from the venv.
    cfg = home / "ansible.cfg"
    cfg.write_text("[defaults]\ncollections_path = %s\ncollections_scan_sys_path = false\n" % (home / "collections"))
    env = dict(os.environ, ANSIBLE_CONFIG=str(cfg), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    build = run([BIN / "ansible-galaxy", "collection", "build", "--output-path", home, REPO], env, home)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball, = glob.glob(str(home / "gpufleet-datacenter-*.tar.gz"))
    with open(REPO / "galaxy.yml", encoding="utf-8") as f:
        deps = sorted(yaml.safe_load(f)["dependencies"])
    (home / "requirements.yml").write_text(yaml.safe_dump({"collections": [{"name": tarball, "type": "file"}] + [
        {"name": str(BUNDLE.joinpath(*d.split("."))), "type": "dir"} for d in deps]}))
    install = run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-r", home / "requirements.yml"],
                  env, home)
    assert install.returncode == 0, install.stdout + install.stderr
    installed = home / "collections" / "ansible_collections" / "gpufleet" / "datacenter"
    assert (installed / "MANIFEST.json").is_file() and not (installed / "ansible.cfg").exists()

    release = rollout.release("1.0.0")
    proc = run([BIN / "ansible-playbook", "-i", lab.inventory, "gpufleet.datacenter.rollout",
                "-e", "release=%s" % release, "-e", "rollout_reports_dir=%s" % rollout.reports], env, home, 900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert rollout.report(release)["status"] == "complete"
    assert rollout.versions() == {s.name: "1.0.0" for s in lab.sites}
    # With this configuration the installed copy is the only gpufleet.datacenter there is.
    listed = run([BIN / "ansible-galaxy", "collection", "list", "gpufleet.datacenter", "--format", "json"], env, home)
    assert listed.returncode == 0, listed.stderr
    assert list(yaml.safe_load(listed.stdout)) == [str(home / "collections" / "ansible_collections")]
