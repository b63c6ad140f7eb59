"""Why nvidia-smi gave no inventory, from recorded failure outputs."""

from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.gpu.failures import classify, recognised

from gpu_fixtures import load


@pytest.mark.parametrize("fixture,rc,code", [
    ("error-driver-library-mismatch.txt", 18, "driver_library_mismatch"),
    ("error-no-devices.txt", 6, "no_devices"),
    ("error-driver-not-loaded.txt", 9, "driver_not_loaded"),
])
def test_recorded_failures(fixture, rc, code):
    out = load(fixture)
    found = classify(rc, out, "")
    assert found["reason_code"] == code
    assert "rc=%d" % rc in found["reason"]
    assert out.splitlines()[0] in found["reason"]     # nvidia-smi's own words are kept
    assert recognised(out)


def test_mismatch_reports_the_nvml_library_version():
    assert classify(18, load("error-driver-library-mismatch.txt"), "")["nvml_library_version"] == "570.124"


def test_message_on_stderr_is_found_too():
    assert classify(9, "", load("error-driver-not-loaded.txt"))["reason_code"] == "driver_not_loaded"


def test_unknown_failure_keeps_the_first_line():
    found = classify(2, "", 'Field "foo" is not a valid field to query.\n')
    assert found == {"reason_code": "nvidia_smi_failed", "reason": 'nvidia-smi failed (rc=2: Field "foo" is not a valid field to query.)'}
    assert not recognised('Field "foo" is not a valid field to query.')
