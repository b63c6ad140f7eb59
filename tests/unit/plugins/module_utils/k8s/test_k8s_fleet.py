from __future__ import annotations

import threading
import time
from unittest.mock import Mock

from k8s_fixtures import load_fixture

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import SiteAuth
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError, ConfigError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.fleet import query_fleet, query_site

MODELS = [{"name": "llm", "namespace": "serving", "version": "1.0"},
          {"name": "emb", "namespace": "serving", "version": "1.0"},
          {"name": "asr", "namespace": "audio", "version": "1.0"}]


def site_client(site, delay=0.0, error=None):
    client = Mock(site=site)

    def listing(kind, namespace=None, **kwargs):
        time.sleep(delay)
        if error:
            raise error
        return [load_fixture("deployment_llm.yaml")] if namespace == "serving" else []
    client.list.side_effect = listing
    return client


def test_query_site_lists_once_per_namespace():
    client = site_client("lab-a")
    rows = query_site(client, MODELS)
    assert [c.args[1] for c in client.list.call_args_list] == ["serving", "audio"]
    assert [(r["name"], r["drifted"]) for r in rows] == [("llm", False), ("emb", True), ("asr", True)]


def test_query_site_falls_back_to_get_when_list_forbidden():
    client = Mock(site="lab-a")
    client.list.side_effect = ApiError("list", "Deployments", "lab-a", "forbidden", status=403)
    client.get.side_effect = lambda kind, name, ns: load_fixture("deployment_llm.yaml") if name == "llm" else None
    rows = query_site(client, MODELS[:2])
    assert [r["exists"] for r in rows] == [True, False]
    assert client.get.call_count == 2


def test_sites_run_in_parallel_and_timeout_bounds_wall_time():
    clients = {"lab-a": site_client("lab-a", 0.3), "lab-b": site_client("lab-b", 0.3),
               "lab-c": site_client("lab-c", 0.3), "slow": site_client("slow", 5)}
    threads_seen = set()

    def factory(auth):
        threads_seen.add(threading.current_thread().name)
        return clients[auth.site]
    started = time.monotonic()
    fleet = query_fleet([SiteAuth(s) for s in clients], MODELS, site_timeout=1.0, client_factory=factory)
    elapsed = time.monotonic() - started
    # 3 sites x 2 namespaces x 0.3s each would be 1.8s in series; in parallel about 0.6s, and
    # the black-holed site is cut off at site_timeout.
    assert elapsed < 1.5
    assert len(threads_seen) == 4
    assert fleet["unreachable"] == [{"site": "slow", "error": "Failed to query Deployments at site slow: "
                                                              "no answer within site_timeout 1.0s"}]
    assert fleet["per_site"]["lab-a"]["reachable"] and not fleet["per_site"]["slow"]["reachable"]
    assert len(fleet["rows"]) == 4 * len(MODELS)
    assert [r["exists"] for r in fleet["rows"] if r["site"] == "slow"] == [None] * 3


def test_errors_become_unreachable_entries_naming_the_site():
    errors = {
        "refused": ApiError("list", "Deployments in namespace serving", "refused", "API server unreachable: Connection refused"),
        "bug": RuntimeError("boom"),
    }
    clients = {s: site_client(s, error=e) for s, e in errors.items()}

    def factory(auth):
        if auth.site == "badconfig":
            raise ConfigError("load", "kubeconfig /x", "badconfig", "file not found")
        return clients[auth.site]
    fleet = query_fleet([SiteAuth("refused"), SiteAuth("bug"), SiteAuth("badconfig")], MODELS, 5, factory)
    by_site = {u["site"]: u["error"] for u in fleet["unreachable"]}
    assert "at site refused: API server unreachable" in by_site["refused"]
    assert by_site["bug"] == "Failed to query Deployments at site bug: RuntimeError: boom"
    assert by_site["badconfig"] == "Failed to load kubeconfig /x at site badconfig: file not found"
