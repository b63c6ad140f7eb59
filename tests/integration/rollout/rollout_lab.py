"""Shared helpers of the rollout integration tests: releases, playbook runs, and each site's state.

Every test gets its own model and namespace names, so tests never see each other's Deployments,
and its own reports/journal directory.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

REPO = Path(__file__).resolve().parents[3]
PLAYBOOKS = REPO / "playbooks"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class Rollout:
    """One test's release files, reports dir and playbook runs against the lab."""

    def __init__(self, lab, tmp_path: Path):
        self.lab = lab
        self.token = uuid.uuid4().hex[:6]
        self.model = "chat-%s" % self.token
        self.namespace = "rollout-%s" % self.token
        self.reports = tmp_path / "reports"
        self.tmp = tmp_path

    # -- releases -------------------------------------------------------------------------
    def release(self, version: str, image_suffix: str = "", name: Optional[str] = None,
                model: Optional[Dict] = None, **policy) -> Path:
        """Write a release of this test's model at `version` and return its path."""
        body = {
            "release": name or "rel-%s-%s" % (self.token, version.replace(".", "-")),
            "models": [dict({
                "name": self.model, "namespace": self.namespace, "version": version,
                "image": "example.invalid/gpufleet/chat%s:%s" % (image_suffix, version),
                "replicas": 2, "gpus": 1, "runtime_class": "none",
            }, **(model or {}))],
            # The lab runs no real image: tags, explicitly (a release requires digests by default).
            "policy": dict({"wait_timeout": 60, "require_digest": False}, **policy),
        }
        path = self.tmp / ("%s.yml" % body["release"])
        path.write_text(yaml.safe_dump(body, sort_keys=False))
        return path

    # -- playbook runs --------------------------------------------------------------------
    def command(self, playbook: str, release: Path, *extra: str) -> List[str]:
        return [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(self.lab.inventory),
                str(PLAYBOOKS / playbook), "-e", "release=%s" % release,
                "-e", "rollout_reports_dir=%s" % self.reports, *extra]

    @staticmethod
    def env() -> Dict[str, str]:
        return dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                    ANSIBLE_FORCE_COLOR="0")

    def run(self, playbook: str, release: Path, *extra: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(playbook, release, *extra), cwd=REPO, env=self.env(),
                              capture_output=True, text=True, timeout=timeout, check=False)

    def start(self, playbook: str, release: Path, *extra: str) -> subprocess.Popen:
        """Start a run in its own process group, as a terminal would (Ctrl-C reaches every process)."""
        log = open(self.tmp / "background.log", "w")
        return subprocess.Popen(self.command(playbook, release, *extra), cwd=REPO, env=self.env(),
                                stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    @staticmethod
    def interrupt(proc: subprocess.Popen) -> int:
        os.killpg(proc.pid, signal.SIGINT)
        return proc.wait(timeout=120)

    # -- journal and report ---------------------------------------------------------------
    def journal(self, release: Path) -> Optional[dict]:
        name = yaml.safe_load(release.read_text())["release"]
        found = sorted((self.reports / "journal").glob("%s-*.json" % name)) if (self.reports / "journal").is_dir() else []
        return json.loads(found[0].read_text()) if found else None

    def wait_for_journal(self, release: Path, site: str, statuses, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                journal = self.journal(release)
            except ValueError:
                journal = None  # never torn: the store renames; but be tolerant of our own read race
            entry = (journal or {}).get("sites", {}).get(site)
            if entry and entry["status"] in statuses:
                return entry
            time.sleep(0.1)
        raise AssertionError("site %s never reached %s in the journal of %s" % (site, statuses, release))

    def report(self, release: Path) -> dict:
        name = yaml.safe_load(release.read_text())["release"]
        return json.loads((self.reports / name / "report.json").read_text())

    # -- live state -----------------------------------------------------------------------
    def state(self, site) -> Optional[dict]:
        """version, image, replicas, ready and generation of this test's Deployment at a site, or None."""
        apps = client.AppsV1Api(self.lab.kube(site))
        try:
            d = apps.read_namespaced_deployment(self.model, self.namespace)
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        return {"version": (d.metadata.labels or {}).get("app.kubernetes.io/version"),
                "image": d.spec.template.spec.containers[0].image, "replicas": d.spec.replicas,
                "ready": d.status.ready_replicas or 0, "generation": d.metadata.generation}

    def states(self) -> Dict[str, Optional[dict]]:
        return {s.name: self.state(s) for s in self.lab.sites}

    def versions(self) -> Dict[str, Optional[str]]:
        return {name: (st or {}).get("version") for name, st in self.states().items()}

    def namespace_exists(self, site) -> bool:
        try:
            client.CoreV1Api(self.lab.kube(site)).read_namespace(self.namespace)
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise

    def wait_healthy(self, timeout: float = 120) -> None:
        """Every site answers and has all its GPU nodes Ready (after a fault or a lab restart)."""
        deadline = time.monotonic() + timeout
        pending = list(self.lab.sites)
        while pending and time.monotonic() < deadline:
            site = pending[0]
            try:
                nodes = client.CoreV1Api(self.lab.kube(site)).list_node(_request_timeout=5).items
                ready = [n for n in nodes if any(c.type == "Ready" and c.status == "True"
                                                 for c in n.status.conditions or [])]
                if len(ready) >= site.nodes:
                    pending.pop(0)
                    continue
            except Exception:  # pylint: disable=broad-except  # not up yet: retry until the deadline
                pass
            time.sleep(1)
        if pending:
            raise AssertionError("lab sites not healthy after %ss: %s" % (timeout, [s.name for s in pending]))

    def cleanup(self) -> None:
        for site in self.lab.sites:
            try:
                client.CoreV1Api(self.lab.kube(site)).delete_namespace(self.namespace)
            except ApiException as e:
                if e.status != 404:
                    raise


def prepared(lab, tmp_path: Path) -> Iterator[Rollout]:
    """The body of every `rollout` fixture: this test's model, namespace and reports; faults healed
    before and after, namespaces removed afterwards."""
    r = Rollout(lab, tmp_path)
    lab.restore()  # an earlier test's fault must not fail this one
    r.wait_healthy()
    yield r
    lab.restore()
    r.cleanup()


def recap(output: str) -> Dict[str, Dict[str, int]]:
    """PLAY RECAP counts per host."""
    return {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                         "failed": int(m.group(5))} for m in RECAP.finditer(output)}


def out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr
