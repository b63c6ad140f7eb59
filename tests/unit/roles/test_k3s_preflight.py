"""k3s preflight on the cluster token: the example inventory's placeholder is refused, without showing it."""
import pytest

from .role_play import facts_for, include_role, run_tasks

SITE = {"gpufleet_site": "eu-west", "k3s_node_role": "agent",
        "gpufleet_network": {"server_endpoint": "10.10.0.10", "pod_cidr": "10.42.0.0/16",
                             "service_cidr": "10.43.0.0/16"}}


def preflight(tmp_path, token):
    return run_tasks(tmp_path, [include_role("k3s", "preflight")], facts_for("debian12"), dict(SITE, k3s_token=token))


@pytest.mark.parametrize("token,reason", [
    ("CHANGE-ME-IN-VAULT", "is a placeholder (CHANGE-ME...)"),     # inventories/example's default, 18 characters
    ("change_me_please_0123456789", "is a placeholder (CHANGE-ME...)"),
    ("short-token", "must be a vaulted string of at least 16 characters"),
])
def test_unusable_tokens_are_refused_without_showing_them(tmp_path, token, reason):
    run = preflight(tmp_path, token)
    assert run.failed
    messages = run.failure_messages()
    assert any(reason in m for m in messages), messages
    assert token not in run.proc.stdout + run.proc.stderr


def test_a_real_token_passes(tmp_path):
    run = preflight(tmp_path, "K10f3a9c2e4b7d8a1c6e5f9b3d2a7c4e8b1::server:7c1e9b55d04a4f2f")
    assert not run.failed, run.failure_messages()
