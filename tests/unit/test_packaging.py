"""The collection builds into a tarball that ships what a user needs and installs offline with its
declared dependencies, outside this repository, and runs from the installed copy."""
import ast
import glob
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
MODULES = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) if not p.endswith("__init__.py"))
# Where scripts/setup-python.sh unpacked the PyPI `ansible` bundle's collections.
BUNDLE = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections")


def run(cmd, env, cwd, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(cwd), check=False)


def galaxy_yml():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # A config of its own, and no collections from the venv: only what gets installed below
    # counts, not the checkout linked on this repo's collections path nor the bundle on sys.path.
    cfg = out / "ansible.cfg"
    cfg.write_text("[defaults]\ncollections_scan_sys_path = false\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(out / "collections"))
    build = run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT], env, out)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball, = glob.glob(str(out / "gpufleet-datacenter-*.tar.gz"))
    return out, tarball, env


@pytest.fixture(scope="module")
def installed(built):
    """The tarball and its declared dependencies, taken from the `ansible` bundle's copies, offline."""
    out, tarball, env = built
    deps = galaxy_yml()["dependencies"]
    requirements = {"collections": [{"name": tarball, "type": "file"}] + [
        {"name": os.path.join(BUNDLE, *fqcn.split(".")), "type": "dir"} for fqcn in sorted(deps)]}
    req = out / "requirements.yml"
    req.write_text(yaml.safe_dump(requirements))
    dest = out / "collections"
    install = run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-r", str(req),
                   "-p", str(dest)], env, out)
    assert install.returncode == 0, install.stdout + install.stderr
    return dest, env


def tar_names(tarball):
    with tarfile.open(tarball) as tf:
        return tf.getnames()


def test_tarball_leaves_out_test_beds_and_tooling(built):
    names = tar_names(built[1])
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    assert "plugins/modules/site_plan.py" in names
    for excluded in ("lab", "bench", ".venv", ".build", "tests", "scripts", "changelogs/fragments"):
        assert not any(n == excluded or n.startswith(excluded + "/") for n in names), excluded
    # The repo's ansible.cfg points collections_path at the checkout; in a user's tree it would
    # shadow their own configuration.
    for excluded in ("ansible.cfg", ".ansible-lint", "Makefile", "requirements-dev.txt", "execution-environment.yml"):
        assert excluded not in names
    assert not [n for n in names if n.startswith("roles/") and "/molecule" in n]
    assert "roles/k3s/tasks/main.yml" in names


def test_tarball_ships_what_a_user_and_ansible_builder_need(built):
    names = tar_names(built[1])
    for shipped in ("meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "README.md",
                    "roles/k3s/tasks/main.yml", "playbooks/validate.yml", "inventories/example/hosts.yml",
                    "plugins/doc_fragments/k8s_auth.py", "changelogs/changelog.yaml", "docs/release.schema.json"):
        assert shipped in names, shipped


def test_manifest_declares_the_galaxy_dependencies(installed):
    manifest = installed[0] / "ansible_collections" / "gpufleet" / "datacenter" / "MANIFEST.json"
    info = json.loads(manifest.read_text())["collection_info"]
    assert (info["namespace"], info["name"]) == ("gpufleet", "datacenter")
    assert info["dependencies"] == galaxy_yml()["dependencies"]
    assert {"kubernetes.core", "ansible.posix"} <= set(info["dependencies"])


def test_dependencies_cover_every_collection_the_roles_and_playbooks_call():
    used = set()
    for pattern in ("roles/**/*.yml", "playbooks/*.yml"):
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            if "/molecule/" in path:
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for fqcn in ("kubernetes.core", "ansible.posix", "community.general", "community.crypto",
                         "ansible.utils", "containers.podman"):
                if fqcn + "." in text:
                    used.add(fqcn)
    assert used == set(galaxy_yml()["dependencies"])


def test_dependencies_installed_beside_the_collection(installed):
    dest = installed[0]
    for fqcn in galaxy_yml()["dependencies"]:
        assert (dest / "ansible_collections" / fqcn.replace(".", "/") / "MANIFEST.json").is_file(), fqcn


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_documents_module_from_the_tarball(installed, module):
    dest, env = installed
    proc = run([os.path.join(BIN, "ansible-doc"), "--json", "gpufleet.datacenter.%s" % module], env, dest, 120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)["gpufleet.datacenter.%s" % module]
    assert doc["doc"]["short_description"]
    assert doc["doc"]["collection"] == "gpufleet.datacenter"
    assert doc["examples"] and doc["return"]


def test_installed_collection_runs_its_playbook_and_its_dependencies_resolve(installed, tmp_path):
    """validate.yml from the installed copy, by FQCN, on the shipped example inventory; then a
    kubernetes.core task from the installed dependency against a closed loopback port, which must
    fail on the connection (module found and run), not on "couldn't resolve module"."""
    dest, env = installed
    coll = dest / "ansible_collections" / "gpufleet" / "datacenter"
    proc = run([os.path.join(BIN, "ansible-playbook"), "-i", str(coll / "inventories" / "example"),
                "gpufleet.datacenter.validate"], env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok=" in proc.stdout and "failed=0" in proc.stdout
    play = tmp_path / "k8s.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Reach a site through the installed kubernetes.core",
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "List namespaces", "kubernetes.core.k8s_info": {
            "kind": "Namespace", "host": "https://127.0.0.1:1", "api_key": "x", "validate_certs": True},
            "vars": {"ansible_python_interpreter": sys.executable}}]}]))
    proc = run([os.path.join(BIN, "ansible-playbook", ), "-i", "localhost,", "-c", "local", str(play)], env, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "couldn't resolve module" not in proc.stdout + proc.stderr
    assert "Connection refused" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_ansible_builder_collects_the_python_requirements(installed):
    """ansible-builder reads meta/execution-environment.yml of every installed collection."""
    dest, env = installed
    proc = run([os.path.join(BIN, "ansible-builder"), "introspect", "--sanitize", str(dest)], env, dest, 120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as f:
        ours = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    collected = yaml.safe_load(proc.stdout)["python"]
    assert [r.split("#")[0].strip() for r in collected if r.endswith("from collection gpufleet.datacenter")] == ours
    # The dependencies' own requirements come along (kubernetes.core needs jsonpatch).
    assert any(r.endswith("from collection kubernetes.core") for r in collected)


def test_execution_environment_definition_makes_a_build_context_offline(tmp_path):
    proc = run([os.path.join(BIN, "ansible-builder"), "create", "-f", os.path.join(ROOT, "execution-environment.yml"),
                "-c", str(tmp_path / "context"),
                # Named, not guessed from whichever of docker and podman the machine has.
                "--output-filename", "Containerfile"], dict(os.environ), tmp_path, 120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    requirements = yaml.safe_load((tmp_path / "context" / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in requirements["collections"]] == ["gpufleet.datacenter"]


def test_requires_ansible_is_the_range_the_core_matrix_runs():
    with open(os.path.join(ROOT, "scripts", "core-matrix.sh"), encoding="utf-8") as f:
        script = f.read()
    lines = re.search(r"^ALL_LINES=\(([^)]*)\)", script, re.M).group(1).split()
    newest = re.search(r"^NEWEST=(\S+)", script, re.M).group(1)
    assert newest == lines[-1]
    major, minor = (int(p) for p in newest.split("."))
    expected = ">=%s.0,<%d.%d.0" % (lines[0], major, minor + 1)
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as f:
        assert yaml.safe_load(f)["requires_ansible"] == expected
    # Every line between the bounds is in the matrix.
    assert lines == ["%d.%d" % (major, m) for m in range(int(lines[0].split(".")[1]), minor + 1)]
    with open(os.path.join(ROOT, "execution-environment.yml"), encoding="utf-8") as f:
        ee = yaml.safe_load(f)
    assert ee["dependencies"]["ansible_core"]["package_pip"] == "ansible-core" + expected


# Imported by the plugins but installed by something requirements.txt already brings.
PROVIDED = {"yaml": "ansible-core"}


def test_requirements_name_exactly_what_the_plugins_import():
    imported = set()
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names
                   and m not in ("ansible", "ansible_collections") and m not in PROVIDED}
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as f:
        listed = {re.split(r"[<>=!~ ;\[]", line.strip())[0].replace("-", "_")
                  for line in f if line.strip() and not line.startswith("#")}
    assert third_party == listed
