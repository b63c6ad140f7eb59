from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import PolicyError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import (
    DEFAULT_GPU_TOLERATIONS,
    build_deployment,
    build_manifests,
    build_namespace,
    build_service,
    int_or_percent,
    validation_errors,
)


def pod_spec(params):
    return build_deployment(params)["spec"]["template"]["spec"]


def container(params):
    return pod_spec(params)["containers"][0]


def test_version_label_and_annotation_on_deployment_and_template(deploy_params):
    deploy_params["model_version"] = "2026.11.1"
    d = build_deployment(deploy_params)
    for meta in (d["metadata"], d["spec"]["template"]["metadata"]):
        assert meta["labels"]["app.kubernetes.io/version"] == "2026.11.1"
        assert meta["annotations"]["app.kubernetes.io/version"] == "2026.11.1"
    # The selector is immutable in the API: a version in it would break every upgrade.
    assert "app.kubernetes.io/version" not in d["spec"]["selector"]["matchLabels"]
    assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("gpus, limit", [(1, 1), (8, 8), (0, None)])
def test_gpu_limit(deploy_params, gpus, limit):
    deploy_params["gpus"] = gpus
    limits = container(deploy_params)["resources"].get("limits", {})
    assert limits.get("nvidia.com/gpu") == limit


def test_gpu_request_follows_limit_and_other_resources_kept(deploy_params):
    deploy_params.update(gpus=2, resources={"requests": {"cpu": "4", "nvidia.com/gpu": 1},
                                            "limits": {"memory": "64Gi", "nvidia.com/gpu": 9}})
    resources = container(deploy_params)["resources"]
    assert resources == {"requests": {"cpu": "4", "nvidia.com/gpu": 2},
                         "limits": {"memory": "64Gi", "nvidia.com/gpu": 2}}
    assert deploy_params["resources"]["limits"]["nvidia.com/gpu"] == 9, "input must not be mutated"


@pytest.mark.parametrize("product, extra, expected", [
    (None, None, None),
    ("NVIDIA-H100-80GB-HBM3", None, {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}),
    ("NVIDIA-H100-80GB-HBM3", {"zone": "a"}, {"zone": "a", "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}),
])
def test_gpu_product_node_selector(deploy_params, product, extra, expected):
    deploy_params.update(gpu_product=product, node_selector=extra)
    assert pod_spec(deploy_params).get("nodeSelector") == expected


@pytest.mark.parametrize("runtime_class, expected", [("nvidia", "nvidia"), ("none", None), ("", None),
                                                     (None, None), ("kata-nvidia", "kata-nvidia")])
def test_runtime_class(deploy_params, runtime_class, expected):
    deploy_params["runtime_class"] = runtime_class
    assert pod_spec(deploy_params).get("runtimeClassName") == expected


@pytest.mark.parametrize("gpus, tolerations, expected", [
    (1, None, DEFAULT_GPU_TOLERATIONS),
    (0, None, None),
    (1, [], None),
    (1, [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}],
     [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]),
])
def test_tolerations(deploy_params, gpus, tolerations, expected):
    deploy_params.update(gpus=gpus, tolerations=tolerations)
    assert pod_spec(deploy_params).get("tolerations") == expected


def test_default_probes_hit_v2_health_endpoints(deploy_params):
    c = container(deploy_params)
    assert c["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_probes_overridden_or_disabled(deploy_params):
    deploy_params.update(readiness_probe={"httpGet": {"path": "/v1/models/llm", "port": 8501}}, liveness_probe={})
    c = container(deploy_params)
    assert c["readinessProbe"] == {"httpGet": {"path": "/v1/models/llm", "port": 8501}}
    assert "livenessProbe" not in c


def test_secure_defaults(deploy_params):
    spec = pod_spec(deploy_params)
    c = spec["containers"][0]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "readOnlyRootFilesystem": True, "runAsNonRoot": True}
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]


def test_secure_defaults_overridable(deploy_params):
    deploy_params.update(security_context={"readOnlyRootFilesystem": False},
                         pod_security_context={"runAsUser": 2000})
    spec = pod_spec(deploy_params)
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
    assert spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["runAsUser"] == 2000 and spec["securityContext"]["runAsNonRoot"] is True


def test_args_env_command(deploy_params):
    deploy_params.update(args=["--model-repository=/models", 3], env={"B": 2, "A": "x"}, command=["tritonserver"])
    c = container(deploy_params)
    assert c["args"] == ["--model-repository=/models", "3"]
    assert c["env"] == [{"name": "A", "value": "x"}, {"name": "B", "value": "2"}]
    assert c["command"] == ["tritonserver"]


@pytest.mark.parametrize("strategy, surge, unavailable", [
    (None, 1, 0), ({"max_surge": "25%", "max_unavailable": "1"}, "25%", 1), ({"max_surge": 0, "max_unavailable": 1}, 0, 1),
])
def test_strategy(deploy_params, strategy, surge, unavailable):
    deploy_params["strategy"] = strategy
    rolling = build_deployment(deploy_params)["spec"]["strategy"]["rollingUpdate"]
    assert rolling == {"maxSurge": surge, "maxUnavailable": unavailable}


def test_service_has_no_version_and_selects_pods(deploy_params):
    s = build_service(deploy_params)
    d = build_deployment(deploy_params)
    assert "app.kubernetes.io/version" not in s["metadata"]["labels"]
    assert s["spec"]["selector"] == d["spec"]["selector"]["matchLabels"]
    assert s["spec"]["ports"][0]["targetPort"] == "http"


def test_build_manifests_order_and_service_toggle(deploy_params):
    assert list(build_manifests(deploy_params, "lab-a")) == ["Deployment", "Service"]
    deploy_params["service"] = False
    assert list(build_manifests(deploy_params, "lab-a")) == ["Deployment"]
    assert build_namespace("serving") == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "serving"}}


@pytest.mark.parametrize("change, fragment", [
    ({"image": "triton:latest"}, ":latest"),
    ({"image": "triton"}, "no tag"),
    ({"image": "triton:1", "require_digest": True}, "require_digest"),
    ({"image": None}, "image is required"),
    ({"model_version": "1.0 beta"}, "model_version '1.0 beta'"),
    ({"model_version": None}, "model_version is required"),
    ({"name": "LLM_1"}, "name 'LLM_1'"),
    ({"namespace": "Serving"}, "namespace 'Serving'"),
    ({"replicas": -1}, "replicas -1"),
    ({"gpus": -2}, "gpus -2"),
    ({"port": 70000}, "port 70000"),
])
def test_validation_names_field_value_and_site(deploy_params, change, fragment):
    deploy_params.update(change)
    with pytest.raises(PolicyError) as err:
        build_manifests(deploy_params, "eu-west")
    assert fragment in str(err.value)
    assert "at site eu-west" in str(err.value)


def test_validation_reports_all_errors_and_skips_image_when_absent(deploy_params):
    deploy_params.update(image="triton:latest", replicas=-1)
    assert len(validation_errors(deploy_params)) == 2
    deploy_params.update(state="absent", image=None, model_version=None)
    assert validation_errors(deploy_params) == []


@pytest.mark.parametrize("value, expected", [(1, 1), ("1", 1), ("25%", "25%"), (0, 0)])
def test_int_or_percent(value, expected):
    assert int_or_percent(value) == expected
