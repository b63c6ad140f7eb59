"""rollout.yml with -e rollout_metrics_dir writes the rollout as a node exporter textfile: the
release complete, no longer in progress, every site's desired and running version of the model."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rollout_lab import out

pytestmark = pytest.mark.lab


def test_a_rollout_writes_its_metrics_for_the_textfile_collector(lab, rollout, tmp_path):
    release = rollout.release("1.0.0")
    textfile = tmp_path / "textfile"
    run = rollout.run("rollout.yml", release, "-e", "rollout_metrics_dir=%s" % textfile)
    assert run.returncode == 0, out(run)
    name = rollout.report(release)["release"]
    files = list(textfile.iterdir())
    assert [f.name for f in files] == ["gpufleet_rollout_%s.prom" % name]
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(files[0].read_text()) for s in family.samples}
    assert samples[("gpufleet_rollout_release_info", (("release", name), ("status", "complete")))] == 1.0
    assert samples[("gpufleet_rollout_in_progress", (("model", rollout.model), ("release", name)))] == 0.0
    for site in lab.sites:
        for kind in ("desired", "running"):
            key = ("gpufleet_rollout_%s_version_info" % kind,
                   (("model", rollout.model), ("release", name), ("site", site.name), ("version", "1.0.0")))
            assert samples[key] == 1.0, (kind, site.name)
        assert samples[("gpufleet_rollout_site_status",
                        (("release", name), ("site", site.name), ("status", "verified")))] == 1.0
        assert samples[("gpufleet_rollout_phase_duration_seconds",
                        (("phase", "deploy"), ("release", name), ("site", site.name)))] > 0
