"""Resume decisions per site."""
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import decide

DESIRED = [{"name": "m", "version": "2", "image": "r/m:2", "replicas": 2}]
AT_NEW = {"m": {"exists": True, "version": "2", "image": "r/m:2", "replicas": 2, "ready_replicas": 2}}
AT_OLD = {"m": {"exists": True, "version": "1", "image": "r/m:1", "replicas": 2, "ready_replicas": 2}}


def test_fresh_site_deploys_and_records_what_runs_now():
    decision = decide(None, AT_OLD, DESIRED)
    assert decision["action"] == "deploy" and decision["before"] == AT_OLD


def test_fresh_site_without_the_model_records_absent():
    decision = decide(None, {}, DESIRED)
    assert decision["before"] == {"m": {"exists": False}}


def test_verified_and_still_at_release_is_skipped():
    assert decide({"status": "verified", "before": AT_OLD}, AT_NEW, DESIRED)["action"] == "skip"


def test_verified_but_drifted_is_deployed_again():
    decision = decide({"status": "verified", "before": AT_OLD}, AT_OLD, DESIRED)
    assert decision["action"] == "deploy" and "drifted" in decision["reason"]


def test_interrupted_site_keeps_its_original_rollback_target():
    half = {"m": {"exists": True, "version": "2", "image": "r/m:2", "replicas": 2, "ready_replicas": 1}}
    decision = decide({"status": "deploying", "before": AT_OLD}, half, DESIRED)
    assert decision["action"] == "deploy" and decision["before"] == AT_OLD
    assert "deploying" in decision["reason"]


def test_at_release_but_not_ready_is_not_skipped():
    not_ready = {"m": dict(AT_NEW["m"], ready_replicas=1)}
    assert decide({"status": "verified", "before": AT_OLD}, not_ready, DESIRED)["action"] == "deploy"
