# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One writer per model and site: a coordination.k8s.io Lease per model, in the model's namespace.

The lease lives on the site itself, so two controllers (two operators, a cron job and a person)
see each other. A run holds the leases of the models it changes on a site while its step there
runs, renewing them; a second run that would change a held model stops before changing anything
on that site and names the holder. A lease whose holder stopped renewing (killed) expires and is
taken over; a holder on this controller whose process is gone is taken over at once.

Expiry compares the lease's renewTime with this controller's clock: controllers must keep their
clocks in sync (NTP) to within a small part of the lease duration.
"""

from __future__ import annotations

import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import PARALLEL_REQUESTS
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import ApiError, K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import MANAGED_BY
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import iso, parse_iso
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.run_lock import process_start

DEFAULT_LEASE_SECONDS = 60
PREFIX = "gpufleet-model-"
LEASE_SELECTOR = "app.kubernetes.io/managed-by=" + MANAGED_BY


class LeaseHeld(Exception):
    """Another run holds the lease of a model this run would change."""

    def __init__(self, site: str, model: str, namespace: str, holder: str, since: str, expires_in: float):
        self.site, self.model, self.holder = site, model, holder
        super().__init__(
            "site %s: model %s is being changed by another rollout (%s) since %s (lease %s/%s%s, "
            "expires in %ds unless renewed); nothing was changed on this site - wait for that run to "
            "finish or stop it" % (site, model, describe(holder), since, namespace, PREFIX, model,
                                   max(0, int(expires_in))))


def run_identity(release: str) -> str:
    """`controller:pid:release`. pid is the process doing the changes - the Ansible worker running
    the site's step -, not ansible-playbook: a worker detaches into its own session and outlives a
    killed ansible-playbook until its step ends, and while it lives it must keep the site."""
    return "%s:%d:%s" % (socket.gethostname(), os.getpid(), release)


def describe(holder: str) -> str:
    parts = holder.split(":", 2)
    if len(parts) != 3:
        return holder
    return "release %s from %s, PID %s" % (parts[2], parts[0], parts[1])


def lease_name(model: str) -> str:
    return PREFIX + model


def holder_gone(holder: str, here: str = "") -> bool:
    """True when the holder ran on this controller and its process no longer exists."""
    parts = holder.split(":", 2)
    if len(parts) != 3 or parts[0] != (here or socket.gethostname()) or not parts[1].isdigit():
        return False
    return process_start(int(parts[1])) is None


def state(lease: Optional[Dict[str, Any]], now: datetime) -> Dict[str, Any]:
    """{holder, since, expires_in} of a live Lease (pure); holder '' when free."""
    spec = (lease or {}).get("spec") or {}
    holder = spec.get("holderIdentity") or ""
    renewed = spec.get("renewTime") or spec.get("acquireTime")
    duration = spec.get("leaseDurationSeconds") or DEFAULT_LEASE_SECONDS
    expires_in = 0.0
    if holder and renewed:
        try:
            expires_in = (parse_iso(renewed) + timedelta(seconds=duration) - now).total_seconds()
        except ValueError:
            expires_in = 0.0
    return {"holder": holder, "since": spec.get("acquireTime") or "?", "expires_in": expires_in}


def claim(lease: Optional[Dict[str, Any]], holder: str, now: datetime,
          gone: Callable[[str], bool] = holder_gone) -> Dict[str, Any]:
    """What to do with a model's lease (pure): {action: ours|take|takeover|held, previous}."""
    current = state(lease, now)
    if lease is None or not current["holder"]:
        return {"action": "take", "previous": None}
    if current["holder"] == holder:
        return {"action": "ours", "previous": None}
    if current["expires_in"] <= 0:
        return {"action": "takeover", "previous": current, "why": "expired"}
    if gone(current["holder"]):
        return {"action": "takeover", "previous": current, "why": "its process is gone"}
    return {"action": "held", "previous": current}


def lease_object(namespace: str, model: str, holder: str, duration: int, now: datetime,
                 live: Optional[Dict[str, Any]] = None, transition: bool = True) -> Dict[str, Any]:
    spec = dict(((live or {}).get("spec") or {}), holderIdentity=holder, leaseDurationSeconds=int(duration),
                renewTime=iso(now))
    if transition:
        spec["acquireTime"] = iso(now)
        spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (1 if live else 0)
    meta: Dict[str, Any] = {"name": lease_name(model), "namespace": namespace,
                            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY,
                                       "app.kubernetes.io/name": model}}
    if live:
        meta["resourceVersion"] = (live.get("metadata") or {}).get("resourceVersion")
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta, "spec": spec}


def each(fn: Callable[[Any], Any], items: List[Any]) -> List[Any]:
    """fn over items, PARALLEL_REQUESTS at a time (a lease is a read and a write: on a distant site
    50 models one after the other took seconds); results in the items' order, and the first error,
    in that order, raised once every call finished."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(items))) as pool:
        futures = [pool.submit(fn, item) for item in items]
    for future in futures:
        if future.exception() is not None:
            raise future.exception()
    return [future.result() for future in futures]


class Leases:
    """The leases of one site step: acquire all or none, renew in the background, release at the end."""

    def __init__(self, client: Any, site: str, models: List[Dict[str, Any]], holder: str,
                 duration: int = DEFAULT_LEASE_SECONDS,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.client = client
        self.site = site
        self.models = models
        self.holder = holder
        self.duration = int(duration)
        self.now = now
        self.held: Dict[str, Dict[str, Any]] = {}
        self.took_over: List[str] = []
        self.lost: Optional[str] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def live(self) -> Dict[Any, Dict[str, Any]]:
        """{(namespace, lease name): Lease} of the models' namespaces: one LIST per namespace."""
        found: Dict[Any, Dict[str, Any]] = {}
        for namespace in sorted({m["namespace"] for m in self.models}):
            for lease in self.client.list("Lease", namespace, label_selector=LEASE_SELECTOR):
                found[(namespace, (lease.get("metadata") or {}).get("name"))] = lease
        return found

    def check(self) -> List[str]:
        """Problems for preflight: models held by another live run. One LIST per namespace."""
        problems = []
        live = self.live()
        for model in self.models:
            verdict = claim(live.get((model["namespace"], lease_name(model["name"]))), self.holder, self.now())
            if verdict["action"] == "held":
                previous = verdict["previous"]
                problems.append(str(LeaseHeld(self.site, model["name"], model["namespace"], previous["holder"],
                                              previous["since"], previous["expires_in"])))
        return problems

    def acquire(self) -> None:
        """Take every model's lease, or raise LeaseHeld having released the ones taken."""
        try:
            # One read for all (not a GET per model), then a write each: a write made stale by
            # another run in between is refused (409) like one after a GET.
            live = self.live() if len(self.models) > 1 else None
            self.took_over += [note for note in each(lambda model: self._acquire_one(model, live), self.models)
                               if note]
        except BaseException:
            self.release()
            raise
        self._thread = threading.Thread(target=self._renew_loop, name="lease-renew-%s" % self.site, daemon=True)
        self._thread.start()

    def _acquire_one(self, model: Dict[str, Any], listed: Optional[Dict[Any, Dict[str, Any]]] = None) -> Optional[str]:
        """Take one model's lease (listed: the namespaces' leases as just read, else it is read);
        returns what a takeover must say, or None."""
        name, namespace = model["name"], model["namespace"]
        if listed is None:
            live = self.client.get("Lease", lease_name(name), namespace)
        else:
            live = listed.get((namespace, lease_name(name)))
        verdict = claim(live, self.holder, self.now())
        if verdict["action"] == "held":
            previous = verdict["previous"]
            raise LeaseHeld(self.site, name, namespace, previous["holder"], previous["since"],
                            previous["expires_in"])
        body = lease_object(namespace, name, self.holder, self.duration, self.now(), live,
                            transition=verdict["action"] != "ours")
        try:
            stored = self.client.replace(body) if live else self.client.create(body)
        except ApiError as e:
            if e.status != 409:
                raise
            if listed is not None and live is None:
                # Not in the LIST (created since, or without our label): decide again on a fresh read.
                return self._acquire_one(model)
            # Another run wrote the lease between our read and our write: it won.
            again = state(self.client.get("Lease", lease_name(name), namespace), self.now())
            raise LeaseHeld(self.site, name, namespace, again["holder"] or "another run", again["since"],
                            again["expires_in"]) from e
        self.held[name] = stored
        if verdict["action"] != "takeover":
            return None
        previous = verdict["previous"]
        return "took over the lease of model %s from %s (held since %s; %s)" % (
            name, describe(previous["holder"]), previous["since"], verdict["why"])

    def renew(self) -> None:
        def one(model: Dict[str, Any]) -> None:
            live = self.held.get(model["name"])
            if live is None:
                return
            body = lease_object(model["namespace"], model["name"], self.holder, self.duration, self.now(),
                                live, transition=False)
            try:
                self.held[model["name"]] = self.client.replace(body)
            except K8sError as e:
                # A missed renewal is retried on the next tick; a 409 means someone took it over.
                if isinstance(e, ApiError) and e.status == 409:
                    self.lost = "lease of model %s was taken over by another run" % model["name"]
                    self.held.pop(model["name"], None)

        with self._lock:
            each(one, self.models)

    def _renew_loop(self) -> None:
        while not self._stop.wait(max(1.0, self.duration / 3.0)):
            self.renew()

    def release(self) -> None:
        """Give the leases back (holderIdentity cleared), so the next run need not wait for expiry."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

        def one(model: Dict[str, Any]) -> None:
            live = self.held.pop(model["name"], None)
            if live is None:
                return
            body = lease_object(model["namespace"], model["name"], self.holder, self.duration, self.now(),
                                live, transition=False)
            body["spec"]["holderIdentity"] = None
            try:
                self.client.replace(body)
            except K8sError:
                pass  # it expires by itself; the next run takes it over then

        with self._lock:
            each(one, self.models)
