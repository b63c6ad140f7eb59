"""The collection builds into a tarball that installs offline and documents every module."""
import glob
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
MODULES = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) if not p.endswith("__init__.py"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # A config of its own, so the checkout linked on this repo's collections path is not
    # taken for an installed copy.
    cfg = out / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(cfg))
    build = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT],
                           capture_output=True, text=True, timeout=300, env=env, cwd=str(out), check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball, = glob.glob(str(out / "gpufleet-datacenter-*.tar.gz"))
    dest = out / "collections"
    # No network is used: the collection declares no Galaxy dependencies.
    install = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force",
                              tarball, "-p", str(dest)], capture_output=True, text=True, timeout=300,
                             env=env, cwd=str(out), check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return tarball, dest, env


def test_tarball_leaves_out_test_beds_and_tooling(installed):
    tarball = installed[0]
    with tarfile.open(tarball) as tf:
        names = tf.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    assert "plugins/modules/site_plan.py" in names
    for excluded in ("lab/", "bench/", ".venv/", ".build/", "tests/output/", "scripts/"):
        assert not any(n.startswith(excluded) for n in names), excluded


def test_manifest_names_the_collection(installed):
    dest = installed[1]
    manifest = dest / "ansible_collections" / "gpufleet" / "datacenter" / "MANIFEST.json"
    info = yaml.safe_load(manifest.read_text())["collection_info"]
    assert (info["namespace"], info["name"]) == ("gpufleet", "datacenter")


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_documents_module_from_the_tarball(installed, module):
    dest, env = installed[1], installed[2]
    env = dict(env, ANSIBLE_COLLECTIONS_PATH=str(dest))
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "--json", "gpufleet.datacenter.%s" % module],
                          capture_output=True, text=True, timeout=120, env=env, cwd=str(dest), check=False)
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(proc.stdout)["gpufleet.datacenter.%s" % module]
    assert doc["doc"]["short_description"]
    assert doc["doc"]["collection"] == "gpufleet.datacenter"
    assert doc["examples"] and doc["return"]
