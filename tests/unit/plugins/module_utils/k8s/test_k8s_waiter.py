from __future__ import annotations

import copy
from unittest.mock import Mock

import pytest

from k8s_fixtures import load_fixture

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import DeploymentStuck
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.waiter import rollout_state, wait_for_rollout


class FakeClock:
    """Time that advances only when the waiter sleeps (or an API call 'takes' time)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


def serving(client, deployments, others=None):
    """The client lists Deployments as the API does (one LIST per namespace, the waiter's read):
    each LIST answers the next of `deployments` (None: it is gone); other kinds from `others`."""
    answers = iter(deployments)
    last = [None]

    def listing(kind, *_args, **_kwargs):
        if kind != "Deployment":
            return (others or {}).get(kind, [])
        last[0] = next(answers, last[0])
        return [last[0]] if last[0] is not None else []

    client.list.side_effect = listing
    client.bounded.return_value = client
    return client


def with_status(deployment, **status):
    d = copy.deepcopy(deployment)
    d["status"].update(status)
    return d


@pytest.mark.parametrize("change, complete", [
    ({}, True),
    ({"observedGeneration": 1}, False),          # controller has not seen the new spec
    ({"updatedReplicas": 1}, False),             # still rolling
    ({"replicas": 3}, False),                    # an old pod still around
    ({"availableReplicas": 1}, False),           # new pod not available
])
def test_rollout_state_complete_rule(change, complete):
    state = rollout_state(with_status(load_fixture("deployment_llm.yaml"), **change))
    assert state["complete"] is complete
    assert state["revision"] == 2 and state["replicas"] == 2


def test_rollout_state_scaled_to_zero_and_missing():
    d = load_fixture("deployment_llm.yaml")
    d["spec"]["replicas"] = 0
    d["status"] = {"observedGeneration": 2}
    assert rollout_state(d)["complete"] is True
    assert rollout_state(None) == {"exists": False, "complete": False, "revision": None, "replicas": 0,
                                   "updated_replicas": 0, "ready_replicas": 0, "available_replicas": 0,
                                   "current_replicas": 0, "observed": False}


def test_wait_returns_when_complete():
    done = load_fixture("deployment_llm.yaml")
    rolling = with_status(done, updatedReplicas=1, availableReplicas=1)
    client = serving(Mock(site="lab-a"), [rolling] * 6 + [done])
    clock = FakeClock()
    naps = []

    def pause(seconds):
        naps.append(round(seconds, 3))
        clock.sleep(seconds)
    state = wait_for_rollout(client, "llm", "serving", timeout=10, sleep=1, clock=clock, pause=pause)
    assert state["complete"]
    # fast first polls, then capped at `sleep`
    assert naps == [0.2, 0.3, 0.45, 0.675, 1, 1]


def test_wait_times_out_with_diagnosis_and_site():
    case = load_fixture("diagnose/insufficient_gpu.yaml")
    client = serving(Mock(site="eu-west"), [case["deployment"]], {
        "ReplicaSet": case["replicasets"], "Pod": case["pods"], "Event": case["events"]})
    client.get.return_value = case["deployment"]
    clock = FakeClock()
    with pytest.raises(DeploymentStuck) as err:
        wait_for_rollout(client, "llm", "serving", timeout=5, sleep=2, clock=clock, pause=clock.sleep)
    message = str(err.value)
    assert "Insufficient nvidia.com/gpu" in message and "at site eu-west" in message
    assert "did not complete within 5s" in message
    assert clock.now == 5, "never sleeps past the deadline"
    assert err.value.result["diagnosis"]["reason"] == "InsufficientGPU"
    assert err.value.result["rollout"]["complete"] is False


def test_wait_stops_early_on_progress_deadline():
    case = load_fixture("diagnose/progress_deadline.yaml")
    client = serving(Mock(site="lab-a"), [case["deployment"]])
    client.get.return_value = case["deployment"]
    clock = FakeClock()
    with pytest.raises(DeploymentStuck) as err:
        wait_for_rollout(client, "llm", "serving", timeout=600, clock=clock, pause=clock.sleep)
    assert clock.now == 0 and "stopped progressing" in str(err.value)


def test_wait_fails_when_deployment_disappears():
    client = serving(Mock(site="lab-a"), [None])
    with pytest.raises(DeploymentStuck, match="disappeared"):
        wait_for_rollout(client, "llm", "serving", timeout=5)
