"""The real scheduler places GPU pods on kwok nodes; kwok makes them Running and Ready."""
import pytest
from kubernetes import client

from lab_workloads import delete_namespaces, deployment_available, gpu_deployment, make_namespace
from lab_workloads import pods, wait_for

pytestmark = pytest.mark.lab


@pytest.fixture
def namespaces(lab):
    made = []

    def make(site):
        api = lab.kube(site)
        ns = make_namespace(api, "labtest")
        made.append((site, ns))
        return api, ns

    yield make
    delete_namespaces([(lab.kube(site), ns) for site, ns in made])


def test_three_replica_gpu_deployment_becomes_available_on_each_site(lab, namespaces):
    created = []
    for site in lab.sites:
        api, ns = namespaces(site)
        client.AppsV1Api(api).create_namespaced_deployment(ns, gpu_deployment("llm", replicas=3, gpus=1))
        created.append((site, api, ns))
    for site, api, ns in created:
        wait_for(lambda: deployment_available(api, ns, "llm"), timeout=90, what=f"{site.name} Available")
        running = pods(api, ns, "llm")
        assert len(running) == 3
        for p in running:
            assert p.status.phase == "Running"
            assert p.spec.node_name.startswith(site.name)
            assert any(c.type == "Ready" and c.status == "True" for c in p.status.conditions)


def test_asking_more_gpus_than_a_node_has_stays_pending(lab, namespaces):
    site = lab.sites[0]
    api, ns = namespaces(site)
    too_many = site.gpus_per_node + 1
    client.AppsV1Api(api).create_namespaced_deployment(ns, gpu_deployment("huge", replicas=1, gpus=too_many))
    core = client.CoreV1Api(api)

    def failed_scheduling():
        events = core.list_namespaced_event(ns, field_selector="reason=FailedScheduling").items
        return [e.message for e in events if "Insufficient nvidia.com/gpu" in (e.message or "")]

    messages = wait_for(failed_scheduling, timeout=60, what="FailedScheduling event")
    assert f"0/{site.nodes} nodes are available" in messages[0]
    (pod,) = pods(api, ns, "huge")
    assert pod.status.phase == "Pending" and not pod.spec.node_name
    assert not deployment_available(api, ns, "huge")


def test_full_site_leaves_the_extra_replica_pending(lab, namespaces):
    """Capacity is counted across nodes: one replica more than the site's GPUs cannot be placed."""
    site = lab.sites[-1]
    api, ns = namespaces(site)
    capacity = site.nodes * site.gpus_per_node
    client.AppsV1Api(api).create_namespaced_deployment(
        ns, gpu_deployment("fill", replicas=capacity // 4 + 1, gpus=4))
    wait_for(lambda: sum(p.status.phase == "Running" for p in pods(api, ns, "fill")) == capacity // 4,
             timeout=90, what="site filled")
    pending = [p for p in pods(api, ns, "fill") if p.status.phase == "Pending"]
    assert len(pending) == 1 and not pending[0].spec.node_name
