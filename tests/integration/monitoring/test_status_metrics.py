"""status.yml and verify.yml with -e rollout_metrics_dir write the release's rollout metrics for the
node exporter's textfile collector (rollout_report's metrics file, the one rollout.yml writes), and
nothing else: no report is written, and --check writes no file at all. A site changed by hand shows
its running version beside the desired one, and verify.yml writes the file before it fails on drift.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from kubernetes import client
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rollout"))
from rollout_lab import out, prepared  # noqa: E402

pytestmark = pytest.mark.lab

VERSION_LABEL = "app.kubernetes.io/version"


@pytest.fixture
def rollout(lab, tmp_path):
    yield from prepared(lab, tmp_path)


def samples(path: Path) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(path.read_text()) for s in family.samples}


def version_series(found: dict, kind: str, release: str, model: str) -> dict:
    """site -> version of the gpufleet_rollout_<kind>_version_info series of this release and model."""
    by_site = {}
    for (name, labels), value in found.items():
        labels = dict(labels)
        if name == "gpufleet_rollout_%s_version_info" % kind and labels["release"] == release \
                and labels["model"] == model and value == 1.0:
            assert labels["site"] not in by_site, "two %s versions at %s" % (kind, labels["site"])
            by_site[labels["site"]] = labels["version"]
    return by_site


def tree(directory: Path) -> dict:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_status_and_verify_write_the_rollout_metrics_and_no_report(lab, rollout, tmp_path):
    release = rollout.release("1.0.0")
    first = rollout.run("rollout.yml", release)
    assert first.returncode == 0, out(first)
    name = rollout.report(release)["release"]
    sites = [s.name for s in lab.sites]

    # One site changed by hand: its Deployment now says another version.
    odd = sites[1]
    client.AppsV1Api(lab.kube(odd)).patch_namespaced_deployment(
        rollout.model, rollout.namespace, {"metadata": {"labels": {VERSION_LABEL: "1.0.0-hand"}}})
    reports_before = tree(rollout.reports)

    checked = tmp_path / "checked"
    dry = rollout.run("status.yml", release, "-e", "rollout_metrics_dir=%s" % checked, "--check")
    assert "release %s" % name in dry.stdout, out(dry)
    assert not checked.exists(), "--check wrote the metrics file"

    for playbook in ("status.yml", "verify.yml"):
        textfile = tmp_path / playbook.replace(".yml", "")
        run = rollout.run(playbook, release, "-e", "rollout_metrics_dir=%s" % textfile)
        # Drift at the odd site fails both playbooks, after the file was written.
        assert run.returncode != 0, out(run)
        assert [f.name for f in textfile.iterdir()] == ["gpufleet_rollout_%s.prom" % name], playbook
        found = samples(textfile / ("gpufleet_rollout_%s.prom" % name))
        assert version_series(found, "desired", name, rollout.model) == {s: "1.0.0" for s in sites}, playbook
        assert version_series(found, "running", name, rollout.model) == {
            s: ("1.0.0-hand" if s == odd else "1.0.0") for s in sites}, playbook
        assert found[("gpufleet_rollout_in_progress", (("model", rollout.model), ("release", name)))] == 0.0
        for site in sites:
            assert found[("gpufleet_rollout_site_status",
                          (("release", name), ("site", site), ("status", "verified")))] == 1.0, (playbook, site)
            assert found[("gpufleet_rollout_site_unreachable", (("release", name), ("site", site)))] == 0.0
        # Neither playbook wrote a report (nor touched the journal): the reports tree is as the rollout left it.
        assert tree(rollout.reports) == reports_before, playbook
