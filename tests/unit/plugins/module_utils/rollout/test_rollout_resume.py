"""Resume decisions per site."""
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.resume import decide, model_at_desired

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


def test_a_digest_pinned_release_matches_the_running_tag_and_digest():
    digest = "sha256:" + "c" * 64
    current = {"exists": True, "version": "2", "image": "r.example/chat:2@" + digest, "replicas": 2,
               "ready_replicas": 2}
    assert model_at_desired(current, {"version": "2", "image": "r.example/chat@" + digest, "replicas": 2})
    assert not model_at_desired(current, {"version": "2", "image": "r.example/other@" + digest, "replicas": 2})
    assert not model_at_desired(dict(current, ready_replicas=1), {"version": "2", "image": current["image"],
                                                                  "replicas": 2})


def test_each_decision_gives_its_reason():
    assert decide({"status": "verified", "before": AT_OLD}, AT_NEW, DESIRED) == {
        "action": "skip", "reason": "done and verified by an earlier run; still at the release", "before": AT_OLD}
    assert decide({"status": "verified", "before": AT_OLD}, AT_OLD, DESIRED) == {
        "action": "deploy", "reason": "verified earlier but no longer runs the release (drifted); deploying again",
        "before": AT_OLD}
    for status in ("deploying", "deployed", "failed", "rolling_back", "rolled_back", "rollback_failed"):
        assert decide({"status": status, "before": AT_OLD}, AT_NEW, DESIRED) == {
            "action": "deploy", "before": AT_OLD,
            "reason": "an earlier run stopped at this site in state %s; re-checking and finishing it" % status}
    for entry in (None, {}, {"status": "pending"}):
        assert decide(entry, AT_NEW, DESIRED) == {"action": "deploy", "reason": "not started", "before": AT_NEW}


def test_a_site_is_skipped_only_when_every_model_runs_the_release():
    desired = DESIRED + [{"name": "e", "version": "1", "image": "r/e:1", "replicas": 1}]
    e_at = {"exists": True, "version": "1", "image": "r/e:1", "replicas": 1, "ready_replicas": 1}
    assert decide({"status": "verified"}, dict(AT_NEW, e=e_at), desired)["action"] == "skip"
    assert decide({"status": "verified"}, AT_NEW, desired)["action"] == "deploy"
    assert decide({"status": "verified"}, dict(AT_OLD, e=e_at), desired)["action"] == "deploy"


def test_without_a_recorded_before_what_runs_now_is_the_rollback_target():
    desired = DESIRED + [{"name": "e", "version": "1", "image": "r/e:1", "replicas": 1}]
    for entry in ({"status": "deploying"}, {"status": "deploying", "before": None}, {"status": "failed", "before": {}}):
        assert decide(entry, AT_OLD, desired)["before"] == {"m": AT_OLD["m"], "e": {"exists": False}}


def test_model_at_desired_holds_version_image_and_replica_counts():
    desired = DESIRED[0]
    assert model_at_desired(AT_NEW["m"], desired) is True
    assert model_at_desired(dict(AT_NEW["m"], ready_replicas=3), desired) is True
    assert model_at_desired(dict(AT_NEW["m"], version="1"), desired) is False
    assert model_at_desired(dict(AT_NEW["m"], image="r/m:1"), desired) is False
    assert model_at_desired(dict(AT_NEW["m"], replicas=3, ready_replicas=3), desired) is False
    assert model_at_desired(dict(AT_NEW["m"], replicas=1, ready_replicas=1), desired) is False
    assert model_at_desired(dict(AT_NEW["m"], ready_replicas=None), dict(desired, replicas=0)) is False
    assert model_at_desired({}, desired) is False
