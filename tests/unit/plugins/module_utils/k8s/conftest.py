"""Fixtures shared by the k8s module_utils tests: recorded API objects as YAML files."""
from __future__ import annotations

import pytest

from k8s_fixtures import load_fixture


@pytest.fixture
def fixture():
    return load_fixture


@pytest.fixture
def deploy_params():
    """model_deploy parameters as AnsibleModule hands them over (defaults filled in)."""
    return {
        "site": "lab-a", "name": "llm", "namespace": "serving", "create_namespace": False, "state": "present",
        "image": "registry.example.com/serving/triton:24.05", "allow_latest": False, "require_digest": False,
        "model_version": "1.0", "replicas": 2, "gpus": 1, "gpu_product": None, "node_selector": None,
        "runtime_class": "nvidia", "tolerations": None, "port": 8080, "command": None, "args": None,
        "env": None, "resources": None, "readiness_probe": None, "liveness_probe": None,
        "security_context": None, "pod_security_context": None, "labels": None, "annotations": None,
        "strategy": None, "revision_history_limit": 10, "progress_deadline_seconds": 600, "service": True,
        "service_type": "ClusterIP", "field_manager": "gpufleet.datacenter", "force_conflicts": True,
        "wait": True, "wait_timeout": 60, "wait_sleep": 0.01,
    }
