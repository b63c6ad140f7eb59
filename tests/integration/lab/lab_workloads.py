"""Shared helpers for the lab's workload tests: namespaces, Deployments, polling."""
from __future__ import annotations

import time
import uuid

from kubernetes import client
from kubernetes.client.exceptions import ApiException


def make_namespace(api, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def _request_delete(api, name: str) -> None:
    try:
        client.CoreV1Api(api).delete_namespace(name)
    except ApiException as e:
        if e.status not in (404, 409):  # 409: already terminating
            raise


def _wait_gone(api, name: str, timeout: float) -> None:
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            core.read_namespace(name)
        except ApiException as e:
            if e.status == 404:
                return
            raise
        time.sleep(0.5)
    raise AssertionError(f"namespace {name} still present {timeout}s after deletion")


def delete_namespaces(made: list[tuple[object, str]], timeout: float = 90) -> None:
    """Delete (api, namespace) pairs together, then wait until all are gone, so the GPUs they
    held are free for the next test."""
    for api, name in made:
        _request_delete(api, name)
    for api, name in made:
        _wait_gone(api, name, timeout)


def delete_namespace(api, name: str, timeout: float = 90) -> None:
    delete_namespaces([(api, name)], timeout)


def gpu_deployment(name: str, replicas: int, gpus: int, image: str = "registry.invalid/llm:1") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": {"nvidia.com/gpu.present": "true"},
                    "containers": [{"name": "server", "image": image,
                                    "resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}],
                },
            },
        },
    }


def wait_for(predicate, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def deployment_available(api, ns: str, name: str) -> bool:
    d = client.AppsV1Api(api).read_namespaced_deployment(name, ns)
    conds = {c.type: c.status for c in d.status.conditions or []}
    return (conds.get("Available") == "True" and (d.status.available_replicas or 0) == d.spec.replicas
            and (d.status.updated_replicas or 0) == d.spec.replicas)


def pods(api, ns: str, app: str):
    return client.CoreV1Api(api).list_namespaced_pod(ns, label_selector=f"app={app}").items
