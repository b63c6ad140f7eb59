"""release_check module: a valid release is planned; a malformed one fails listing every problem."""
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gpufleet.datacenter.plugins.modules import release_check

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "releases")
SITES = [
    {"name": "eu", "host": "api-eu", "wave": 1, "gpu_product": "H100"},
    {"name": "us", "host": "api-us", "wave": 2, "gpu_product": "H100"},
    {"name": "apac", "host": "api-apac", "wave": 3, "gpu_product": "L40S"},
]


def run(capsys, path, sites=None, journal_dir="/tmp/j", **extra):
    args = dict({"path": os.path.join(FIXTURES, path), "sites": sites or SITES, "journal_dir": journal_dir}, **extra)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_:
        release_check.main()
    return exit_.value.code, json.loads(capsys.readouterr().out)


def test_no_release_file_names_the_command_line_that_gives_one(capsys):
    with patch_module_args({"path": "", "sites": SITES}), pytest.raises(SystemExit) as exit_:
        release_check.main()
    result = json.loads(capsys.readouterr().out)
    assert exit_.value.code == 1 and "Run with -e release=releases/<name>.yml" in result["msg"]


def test_reports_and_journal_directories_default_under_the_current_directory(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with patch_module_args({"path": os.path.join(FIXTURES, "valid.yml"), "sites": SITES}), \
            pytest.raises(SystemExit):
        release_check.main()
    result = json.loads(capsys.readouterr().out)
    assert result["reports_dir"] == str(tmp_path / "reports")
    assert result["journal"].startswith(str(tmp_path / "reports" / "journal") + "/chat-2026-11-")
    assert result["summary"].startswith("Release chat-2026-11 (2 model(s)), on failure rollback_all: canary: eu")


def test_valid_release_returns_plan_models_and_journal(capsys):
    code, result = run(capsys, "valid.yml")
    assert code == 0 and result["changed"] is False
    assert result["plan"]["hosts"] == ["api-eu", "api-us", "api-apac"] and result["plan"]["serial"] == [1, 1, 1]
    assert result["journal"] == "/tmp/j/chat-2026-11-%s.json" % result["fingerprint"][:12]
    assert result["desired"][1] == {"name": "embedder", "namespace": "gpufleet-models", "version": "1.4.2",
                                    "image": "registry.example.com/ml/embed:1.4.2"}
    apac = {m["name"]: m for m in result["site_models"]["apac"]}
    assert apac["chat-llm"]["gpu_product"] == "NVIDIA-L40S" and apac["embedder"]["gpu_product"] == "L40S"


def test_malformed_release_fails_with_every_problem(capsys):
    code, result = run(capsys, "wave-twice.yml")
    assert code == 1 and result["failed"]
    assert result["msg"].startswith("Failed to validate release file ")
    assert "for release r1" in result["msg"]
    assert result["problems"] == ["policy.waves[1], site us: site is already in wave 1"]


def test_unreadable_and_non_yaml_files_are_named(capsys, tmp_path):
    bad = tmp_path / "broken.yml"
    bad.write_text("release: [unclosed\n")
    code, result = run(capsys, str(bad))
    assert code == 1 and "is not valid YAML" in result["problems"][0]
    code, result = run(capsys, str(tmp_path / "missing.yml"))
    assert code == 1 and "cannot be read" in result["problems"][0]


def test_two_hosts_for_one_site_is_an_inventory_problem(capsys):
    sites = SITES + [{"name": "eu", "host": "api-eu-2", "wave": 1}]
    code, result = run(capsys, "valid.yml", sites=sites)
    assert code == 1
    assert ("(inventory): site eu: 2 hosts in the kube_api group (api-eu, api-eu-2); exactly one host per site "
            "stands for its Kubernetes API") in result["problems"]


def test_a_site_of_the_fleet_without_a_kube_api_host_is_named_with_every_other_problem(capsys):
    fleet = {"eu": ["api-eu"], "us": ["api-us"], "apac": ["api-apac"], "mars": ["gpu-m1", "gpu-m2"]}
    code, result = run(capsys, "unknown-canary.yml", fleet_sites=fleet)
    assert code == 1
    assert ("(inventory): site mars: no host in the kube_api group (its hosts: gpu-m1, gpu-m2); exactly one host per "
            "site stands for its Kubernetes API, without it the site is left out of every rollout") in result["problems"]
    assert any(p.startswith("policy.canary") for p in result["problems"])
    code, result = run(capsys, "valid.yml", fleet_sites={k: v for k, v in fleet.items() if k != "mars"})
    assert code == 0
