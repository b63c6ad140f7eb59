# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rollout report as Prometheus metrics, written as a text file for the node exporter's textfile
collector on the controller. The fleet's drift alert reads `gpufleet_rollout_in_progress` to stay
quiet while a model is being rolled out (roles/prometheus/files/rules/gpufleet-models.yml);
docs/monitoring.md lists every metric.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from typing import Any, Callable, Dict, List

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import RolloutError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import PHASES, STATUSES


def prometheus_client() -> Any:
    """The library, imported when a metrics file is written: every rollout_report loads this module,
    and most runs write no metrics (the import costs about as much as building the report)."""
    try:
        import prometheus_client as client  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - exercised by ansible-test import sanity
        return None, traceback.format_exc()
    return client, None


# Report statuses during which the release is still being rolled out: a paused release has its
# canary (or first waves) at the new version on purpose.
IN_PROGRESS = ("in_progress", "paused")
# A site whose last step deployed the release: its journal `after` is what the release wants there
# (site pins included). After a rollback `after` is the old version, so the release's target counts.
AT_RELEASE = ("deploying", "deployed", "verified")


def desired_versions(site: Dict[str, Any], target: Dict[str, Any]) -> Dict[str, str]:
    """model -> the version the release wants at this report site (pure)."""
    wanted = {name: version for name, version in target.items() if version}
    if site.get("status") in AT_RELEASE:
        for name, state in (site.get("after") or {}).items():
            if (state or {}).get("exists", True) and (state or {}).get("version"):
                wanted[name] = str(state["version"])
    return wanted


def metric_file(directory: str, release: str) -> str:
    """<directory>/gpufleet_rollout_<release>.prom, never outside directory."""
    name = "gpufleet_rollout_%s.prom" % re.sub(r"[^A-Za-z0-9_.-]", "_", release).lstrip(".")
    return os.path.join(directory, name)


def registry_for(report: Dict[str, Any], now: float, client: Any) -> Any:
    """The report's metrics in a fresh registry of the prometheus_client library `client` (no I/O)."""
    registry = client.CollectorRegistry()
    release = str(report["release"])

    def gauge(name: str, doc: str, labels: List[str]) -> Any:
        return client.Gauge(name, doc, labels, registry=registry)

    info = gauge("gpufleet_rollout_release_info", "The release this file describes, with its rollout status.",
                 ["release", "status"])
    in_progress = gauge("gpufleet_rollout_in_progress",
                        "1 while the release is being rolled out (in progress or paused), per model of the release.",
                        ["release", "model"])
    desired = gauge("gpufleet_rollout_desired_version_info",
                    "The version of the model the release wants at the site.", ["release", "site", "model", "version"])
    running = gauge("gpufleet_rollout_running_version_info",
                    "The version of the model the site ran when the report was built.",
                    ["release", "site", "model", "version"])
    status = gauge("gpufleet_rollout_site_status", "1 for the site's rollout status in the journal, 0 for the others.",
                   ["release", "site", "status"])
    unreachable = gauge("gpufleet_rollout_site_unreachable", "1 when the site could not be read for the report.",
                        ["release", "site"])
    phase = gauge("gpufleet_rollout_phase_duration_seconds", "Seconds each rollout phase took at the site.",
                  ["release", "site", "phase"])
    updated = gauge("gpufleet_rollout_updated_timestamp_seconds", "When this file was written (Unix time).",
                    ["release"])

    info.labels(release, report["status"]).set(1)
    target = {m["name"]: m.get("version") for m in report.get("target") or []}
    models = set(target) | {m for s in report["sites"] for m in (s.get("models_now") or {})}
    for model in sorted(models):
        in_progress.labels(release, model).set(1 if report["status"] in IN_PROGRESS else 0)
    lost = set(report.get("unreachable") or [])
    for site in report["sites"]:
        name = site["site"]
        for model, version in sorted(desired_versions(site, target).items()):
            desired.labels(release, name, model, version).set(1)
        if name not in lost:
            for model, version in sorted((site.get("models_now") or {}).items()):
                if version is not None:
                    running.labels(release, name, model, str(version)).set(1)
        unreachable.labels(release, name).set(1 if name in lost else 0)
        for value in STATUSES:
            status.labels(release, name, value).set(1 if site.get("status") == value else 0)
        for value in PHASES:
            seconds = (site.get("phases_seconds") or {}).get(value)
            if seconds is not None:
                phase.labels(release, name, value).set(float(seconds))
    updated.labels(release).set(now)
    return registry


def write_metrics(directory: str, report: Dict[str, Any], clock: Callable[[], float] = time.time) -> str:
    """Write the report's metrics file atomically (prometheus_client renames a temporary file over
    it, so the collector never reads half a file); returns its path."""
    client, import_error = prometheus_client()
    if client is None:
        raise RolloutError("write", "rollout metrics", "the prometheus-client Python library is missing:\n%s"
                           % import_error, release=report.get("release"))
    path = metric_file(directory, str(report["release"]))
    try:
        os.makedirs(directory, exist_ok=True)
        client.write_to_textfile(path, registry_for(report, clock(), client))
        # The node exporter runs as its own user: the file must be readable by it.
        os.chmod(path, 0o644)
    except OSError as e:
        raise RolloutError("write", "rollout metrics %s" % path, str(e), release=report.get("release")) from e
    return path
