"""Image-name markers drive failing rollouts without real images (documented in docs/lab.md)."""
import pytest
from kubernetes import client

from lab_workloads import delete_namespace, gpu_deployment, make_namespace, pods, wait_for

pytestmark = pytest.mark.lab


@pytest.fixture
def site_ns(lab):
    site = lab.sites[0]
    api = lab.kube(site)
    ns = make_namespace(api, "labmark")
    yield api, ns
    delete_namespace(api, ns)


def test_broken_marker_runs_but_never_becomes_ready(lab, site_ns):
    api, ns = site_ns
    image = f"registry.invalid/llm{lab.markers['broken']}:2"
    client.AppsV1Api(api).create_namespaced_deployment(ns, gpu_deployment("bad", 2, 1, image=image))
    running = wait_for(lambda: [p for p in pods(api, ns, "bad") if p.status.phase == "Running"] or None,
                       timeout=60, what="broken pods Running")
    for p in running:
        ready = {c.type: c.status for c in p.status.conditions}
        assert ready["Ready"] == "False" and ready["ContainersReady"] == "False"
        assert p.status.container_statuses[0].state.running is not None
        assert p.status.container_statuses[0].ready is False
    d = client.AppsV1Api(api).read_namespaced_deployment("bad", ns)
    assert not d.status.ready_replicas


def test_pullfail_marker_sits_in_image_pull_backoff(lab, site_ns):
    api, ns = site_ns
    image = f"registry.invalid/llm{lab.markers['pullfail']}:3"
    client.AppsV1Api(api).create_namespaced_deployment(ns, gpu_deployment("nopull", 1, 1, image=image))

    def waiting_reason():
        for p in pods(api, ns, "nopull"):
            for cs in p.status.container_statuses or []:
                if cs.state.waiting:
                    return p, cs.state.waiting.reason
        return None

    pod, reason = wait_for(waiting_reason, timeout=60, what="ImagePullBackOff")
    assert reason in ("ImagePullBackOff", "ErrImagePull")
    assert pod.status.phase == "Pending" and pod.spec.node_name
    assert not pod.status.container_statuses[0].ready
