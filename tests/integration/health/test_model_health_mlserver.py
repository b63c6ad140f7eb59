"""model_health against a real MLServer (Open Inference Protocol V2) on loopback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.errors import HealthCheckError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.gate import GateSpec, run_gate
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.retry import RetryPolicy
from ansible_collections.gpufleet.datacenter.plugins.module_utils.health.transport import TransportOptions

from health_mlserver import ROOT, free_port

pytestmark = pytest.mark.mlserver

SITE = "lab-eu"
FAST = TransportOptions(timeout=5, use_proxy=False)


def gate(url: str, model: str, version: str | None, policy: RetryPolicy = RetryPolicy()) -> dict:
    return run_gate(GateSpec(site=SITE, url=url, protocol="v2", model=model, version=version), FAST, policy)


def test_ready_model_at_expected_version_passes(mlserver):
    result = gate(mlserver.url, "echo", "v1.2.0")

    assert result["healthy"] is True
    assert result["served_versions"] == ["v1.2.0"]
    assert result["attempts"] == 1
    names = [c["name"] for c in result["checks"]]
    assert names == ["server_live", "server_ready", "model_ready", "model_metadata", "version_ready",
                     "version_metadata", "repository_index", "version_served"]
    assert all(c["ok"] for c in result["checks"])


def test_expected_version_among_several_loaded_passes(mlserver):
    result = gate(mlserver.url, "ranker", "2")

    assert result["healthy"] is True
    assert result["served_versions"] == ["1", "2"]


def test_wrong_version_fails_naming_expected_and_served(mlserver):
    with pytest.raises(HealthCheckError) as err:
        gate(mlserver.url, "echo", "v2.0.0")

    msg = str(err.value)
    assert msg.startswith("Failed to verify model echo version v2.0.0 at site %s: " % SITE)
    assert "expected version v2.0.0 of model echo is not served by %s (served versions: v1.2.0)" % mlserver.url in msg
    assert "HTTP 404: Model echo with version v2.0.0 not found" in msg
    assert err.value.result["healthy"] is False
    assert err.value.result["served_versions"] == ["v1.2.0"]


def test_unknown_model_fails(mlserver):
    with pytest.raises(HealthCheckError) as err:
        gate(mlserver.url, "no-such-model", None)

    msg = str(err.value)
    assert "at site %s" % SITE in msg
    assert "model no-such-model is not healthy at %s" % mlserver.url in msg
    assert "HTTP 404: Model no-such-model not found" in msg
    failed = [c["name"] for c in err.value.result["checks"] if not c["ok"]]
    assert failed == ["model_ready", "model_metadata"]


def test_server_down_retries_then_fails_naming_site():
    url = "http://127.0.0.1:%d" % free_port()  # nothing listens there
    with pytest.raises(HealthCheckError) as err:
        gate(url, "echo", "v1.2.0", RetryPolicy(retries=2, delay=0.2))

    msg = str(err.value)
    assert "at site %s" % SITE in msg
    assert "model server %s is unreachable" % url in msg
    assert "Connection refused" in msg
    assert "after 3 attempts" in msg
    assert err.value.result["attempts"] == 3
    assert err.value.result["elapsed"] >= 0.4


def test_server_down_total_wait_is_honoured():
    url = "http://127.0.0.1:%d" % free_port()
    with pytest.raises(HealthCheckError) as err:
        gate(url, "echo", None, RetryPolicy(delay=0.25, wait_timeout=1.0))

    result = err.value.result
    # It retried until the whole wait was spent. How many attempts fit into that second depends
    # on the machine's load (each refused connect, each wake-up), so only "more than one" is fixed;
    # the schedule itself is unit-tested on RetryPolicy.next_delay.
    assert result["elapsed"] >= 1.0
    assert 2 <= result["attempts"] <= 5
    assert "after %d attempts" % result["attempts"] in str(err.value)


def test_https_to_a_plain_http_server_fails_at_once(mlserver):
    # TLS is never skipped: a TLS failure is permanent, so no retries are spent on it.
    url = mlserver.url.replace("http://", "https://")
    with pytest.raises(HealthCheckError) as err:
        gate(url, "echo", "v1.2.0", RetryPolicy(retries=5, delay=1))

    assert err.value.result["attempts"] == 1
    assert "tls error" in str(err.value)


def test_module_through_ansible_playbook_in_check_mode(mlserver, tmp_path: Path):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    playbook = Path(__file__).parent / "playbooks" / "health_gate.yml"
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "--check", "-i", "localhost,", str(playbook),
         "-e", "model_server_url=%s" % mlserver.url, "-e", "model_site=%s" % SITE],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads(proc.stdout)
    stats = report["stats"]["localhost"]
    assert stats["failures"] == 0 and stats["changed"] == 0
    tasks = {t["task"]["name"]: t["hosts"]["localhost"] for t in report["plays"][0]["tasks"]}
    passed = tasks["Gate on the version that is served"]
    assert passed["healthy"] is True and passed["changed"] is False
    failed = tasks["Gate on a version that is not served"]
    assert failed["failed"] is True
    assert "expected version v9 of model echo is not served" in failed["msg"]
    assert "at site %s" % SITE in failed["msg"]


def test_tls_with_the_private_ca_passes(mlserver_tls):
    server, ca = mlserver_tls
    spec = GateSpec(site=SITE, url=server.url, protocol="v2", model="echo", version="v1.2.0")
    result = run_gate(spec, TransportOptions(timeout=5, ca_path=str(ca), use_proxy=False), RetryPolicy())
    assert result["healthy"] is True and result["served_versions"] == ["v1.2.0"]


def test_tls_without_the_ca_is_refused_not_retried(mlserver_tls):
    server, _ca = mlserver_tls
    with pytest.raises(HealthCheckError) as err:
        gate(server.url, "echo", "v1.2.0", RetryPolicy(retries=5, delay=1))
    assert err.value.result["attempts"] == 1
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) or "certificate verify failed" in str(err.value)
