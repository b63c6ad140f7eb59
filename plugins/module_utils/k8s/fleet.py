# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Query every site at once; the slowest site, capped by site_timeout, bounds the wall time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, wait
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import SiteAuth, get_client
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.readers import deployments
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.versions import observe, unreachable_rows


def live_deployments(client: Any, models: List[Dict[str, Any]]) -> Dict[str, Optional[Dict[str, Any]]]:
    """{model name: its live Deployment or None}, listed per namespace (readers.deployments)."""
    live = deployments(client, [(m["namespace"], m["name"]) for m in models])
    return {m["name"]: live[(m["namespace"], m["name"])] for m in models}


def query_site(client: Any, models: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    live = live_deployments(client, models)
    return [observe(client.site, m, live[m["name"]]) for m in models]


def _run_site(future: Future, auth: SiteAuth, models: List[Dict[str, Any]],
              client_factory: Callable[[SiteAuth], Any]) -> None:
    started = time.monotonic()
    try:
        rows = query_site(client_factory(auth), models)
        future.set_result({"rows": rows, "error": None, "elapsed": round(time.monotonic() - started, 3)})
    except K8sError as e:
        future.set_result({"rows": None, "error": str(e), "elapsed": round(time.monotonic() - started, 3)})
    except Exception as e:  # pylint: disable=broad-except
        # A bug in one site's thread must not hide the other sites' answers.
        future.set_result({"rows": None, "elapsed": round(time.monotonic() - started, 3),
                           "error": "Failed to query Deployments at site %s: %s: %s" % (auth.site, type(e).__name__, e)})


def query_fleet(auths: List[SiteAuth], models: List[Dict[str, Any]], site_timeout: float,
                client_factory: Callable[[SiteAuth], Any] = get_client,
                site_models: Optional[Dict[str, List[Dict[str, Any]]]] = None) -> Dict[str, Any]:
    """Rows for every site x model, unreachable sites, and per-site timings.

    site_models: a site's own desired models where the release intends a difference there (a
    pinned version, a model left off); that site is judged against them, not against `models`.

    Daemon threads rather than an executor: an executor joins its workers at interpreter
    exit, so one black-holed site would hold the module past site_timeout.
    """
    futures: Dict[str, Future] = {}
    for auth in auths:
        future: Future = Future()
        futures[auth.site] = future
        threading.Thread(target=_run_site, args=(future, auth, (site_models or {}).get(auth.site, models),
                                                 client_factory),
                         name="model_versions-%s" % auth.site, daemon=True).start()
    wait(list(futures.values()), timeout=site_timeout)
    rows: List[Dict[str, Any]] = []
    unreachable: List[Dict[str, Any]] = []
    per_site: Dict[str, Dict[str, Any]] = {}
    for auth in auths:
        future = futures[auth.site]
        if future.done():
            outcome = future.result()
        else:
            outcome = {"rows": None, "elapsed": site_timeout,
                       "error": "Failed to query Deployments at site %s: no answer within site_timeout %ss"
                                % (auth.site, site_timeout)}
        if outcome["rows"] is None:
            unreachable.append({"site": auth.site, "error": outcome["error"]})
            rows.extend(unreachable_rows(auth.site, (site_models or {}).get(auth.site, models)))
        else:
            rows.extend(outcome["rows"])
        site_rows = outcome["rows"] or []
        per_site[auth.site] = {
            "reachable": outcome["rows"] is not None, "error": outcome["error"], "elapsed": outcome["elapsed"],
            "drifted": sum(1 for r in site_rows if r["drifted"]),
            "in_sync": outcome["rows"] is not None and all(r["in_sync"] for r in site_rows),
        }
    return {"rows": rows, "unreachable": unreachable, "per_site": per_site}
