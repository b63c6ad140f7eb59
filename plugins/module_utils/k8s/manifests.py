# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions from model_deploy parameters to Namespace, Deployment and Service manifests."""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.env import entries as env_entries
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import PolicyError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.images import (
    image_policy_violation,
    parse_image,
)

GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
VERSION_KEY = "app.kubernetes.io/version"
MANAGED_BY = "gpufleet.datacenter"
CONTAINER_NAME = "model-server"
PORT_NAME = "http"

# Open Inference Protocol V2 (KServe, Triton, MLServer) health endpoints.
DEFAULT_READINESS_PATH = "/v2/health/ready"
DEFAULT_LIVENESS_PATH = "/v2/health/live"

# The GPU operator and most clouds taint GPU nodes; without this pods never land there.
DEFAULT_GPU_TOLERATIONS = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]

DEFAULT_POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "runAsGroup": 1000,
    "fsGroup": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}
DEFAULT_CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
}

DNS_LABEL_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1123_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
LABEL_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def selector_labels(name: str) -> Dict[str, str]:
    """Immutable selector: never includes the version, or every upgrade would orphan pods."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def common_labels(params: Dict[str, Any], with_version: bool = True) -> Dict[str, str]:
    labels = dict(params.get("labels") or {})
    labels.update(selector_labels(params["name"]))
    labels["app.kubernetes.io/component"] = "model-server"
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    if with_version:
        labels[VERSION_KEY] = str(params["model_version"])
    return labels


def version_annotations(params: Dict[str, Any]) -> Dict[str, str]:
    annotations = {k: str(v) for k, v in (params.get("annotations") or {}).items()}
    annotations[VERSION_KEY] = str(params["model_version"])
    return annotations


def int_or_percent(value: Any) -> Any:
    """`1`, "1" -> 1; "25%" stays a string, as the API wants."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def http_probe(path: str, initial_delay: int, period: int, failures: int) -> Dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": PORT_NAME},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def probe(custom: Optional[Dict[str, Any]], default: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """None means the default; an empty dict means no probe at all."""
    if custom is None:
        return default
    return copy.deepcopy(custom) or None


def container_resources(params: Dict[str, Any]) -> Dict[str, Any]:
    resources = copy.deepcopy(params.get("resources") or {})
    gpus = params.get("gpus") or 0
    if gpus:
        # Extended resources are set as limits; a request, if given, must equal the limit.
        resources.setdefault("limits", {})[GPU_RESOURCE] = gpus
        if GPU_RESOURCE in (resources.get("requests") or {}):
            resources["requests"][GPU_RESOURCE] = gpus
    return resources


def build_container(params: Dict[str, Any]) -> Dict[str, Any]:
    security = dict(DEFAULT_CONTAINER_SECURITY_CONTEXT)
    security.update(params.get("security_context") or {})
    container: Dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": params["image"],
        "ports": [{"name": PORT_NAME, "containerPort": params["port"], "protocol": "TCP"}],
        "resources": container_resources(params),
        "securityContext": security,
        # readOnlyRootFilesystem: model servers still need a scratch /tmp.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if params.get("command"):
        container["command"] = [str(a) for a in params["command"]]
    if params.get("args"):
        container["args"] = [str(a) for a in params["args"]]
    if params.get("env"):
        container["env"] = env_entries(params["env"])
    readiness = probe(params.get("readiness_probe"), http_probe(DEFAULT_READINESS_PATH, 5, 10, 3))
    # Large models load for minutes: a patient liveness probe avoids killing a loading server.
    liveness = probe(params.get("liveness_probe"), http_probe(DEFAULT_LIVENESS_PATH, 30, 15, 8))
    if readiness:
        container["readinessProbe"] = readiness
    if liveness:
        container["livenessProbe"] = liveness
    return container


def build_pod_spec(params: Dict[str, Any]) -> Dict[str, Any]:
    pod_security = dict(DEFAULT_POD_SECURITY_CONTEXT)
    pod_security.update(params.get("pod_security_context") or {})
    spec: Dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": pod_security,
        "containers": [build_container(params)],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    node_selector = dict(params.get("node_selector") or {})
    if params.get("gpu_product"):
        node_selector[GPU_PRODUCT_LABEL] = params["gpu_product"]
    if node_selector:
        spec["nodeSelector"] = node_selector
    runtime_class = params.get("runtime_class")
    if runtime_class and runtime_class.lower() != "none":
        spec["runtimeClassName"] = runtime_class
    tolerations = params.get("tolerations")
    if tolerations is None:
        tolerations = DEFAULT_GPU_TOLERATIONS if params.get("gpus") else []
    if tolerations:
        spec["tolerations"] = copy.deepcopy(tolerations)
    return spec


def build_deployment(params: Dict[str, Any]) -> Dict[str, Any]:
    strategy = params.get("strategy") or {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": params["name"],
            "namespace": params["namespace"],
            "labels": common_labels(params),
            "annotations": version_annotations(params),
        },
        "spec": {
            "replicas": params["replicas"],
            "revisionHistoryLimit": params["revision_history_limit"],
            "progressDeadlineSeconds": params["progress_deadline_seconds"],
            "selector": {"matchLabels": selector_labels(params["name"])},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": int_or_percent(strategy.get("max_surge", 1)),
                    "maxUnavailable": int_or_percent(strategy.get("max_unavailable", 0)),
                },
            },
            "template": {
                "metadata": {
                    "labels": common_labels(params),
                    "annotations": version_annotations(params),
                },
                "spec": build_pod_spec(params),
            },
        },
    }


def build_service(params: Dict[str, Any]) -> Dict[str, Any]:
    # No version label: a model upgrade must not touch the Service clients resolve.
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": params["name"],
            "namespace": params["namespace"],
            "labels": common_labels(params, with_version=False),
        },
        "spec": {
            "type": params.get("service_type") or "ClusterIP",
            "selector": selector_labels(params["name"]),
            "ports": [{"name": PORT_NAME, "port": params["port"], "targetPort": PORT_NAME, "protocol": "TCP"}],
        },
    }


def build_network_policy(params: Dict[str, Any]) -> Dict[str, Any]:
    """Deny every ingress to the model's pods but TCP to the model port (from network_policy_from,
    default any peer): what a model server needs and nothing more. Egress is left alone (a model
    server may pull weights)."""
    allow: Dict[str, Any] = {"ports": [{"port": params["port"], "protocol": "TCP"}]}
    if params.get("network_policy_from"):
        allow["from"] = params["network_policy_from"]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": params["name"], "namespace": params["namespace"],
                     "labels": common_labels(params, with_version=False)},
        "spec": {"podSelector": {"matchLabels": selector_labels(params["name"])}, "policyTypes": ["Ingress"],
                 "ingress": [allow]},
    }


def build_namespace(name: str) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def validation_errors(params: Dict[str, Any]) -> List[str]:
    """Every problem with the inputs, each naming the field and value."""
    errors = []
    name, namespace = params.get("name") or "", params.get("namespace") or ""
    if not DNS_LABEL_RE.match(name):
        errors.append("name %r must be a DNS-1035 label (lower case, digits, '-', at most 63)" % name)
    if not DNS1123_LABEL_RE.match(namespace):
        errors.append("namespace %r must be a DNS-1123 label" % namespace)
    if params.get("state", "present") == "absent":
        return errors
    version = params.get("model_version")
    if version is None or str(version) == "":
        errors.append("model_version is required when state is present")
    elif not LABEL_VALUE_RE.match(str(version)):
        errors.append("model_version %r must be a valid label value (letters, digits, '-', '_', '.', "
                      "at most 63, starting and ending alphanumeric)" % str(version))
    for field, low, high in (("replicas", 0, None), ("gpus", 0, None), ("port", 1, 65535)):
        value = params.get(field)
        if value is None or value < low or (high is not None and value > high):
            bound = ">= %d" % low if high is None else "between %d and %d" % (low, high)
            errors.append("%s %r must be %s" % (field, value, bound))
    image = params.get("image")
    if not image:
        errors.append("image is required when state is present")
    else:
        try:
            violation = image_policy_violation(parse_image(image), bool(params.get("allow_latest")),
                                               bool(params.get("require_digest")))
        except ValueError as e:
            violation = "image %r: %s" % (image, e)
        if violation:
            errors.append(violation)
    return errors


def build_manifests(params: Dict[str, Any], site: str) -> Dict[str, Dict[str, Any]]:
    """Validated manifests keyed by kind, in apply order."""
    errors = validation_errors(params)
    if errors:
        raise PolicyError("build", "Deployment %s/%s" % (params.get("namespace"), params.get("name")),
                          site, "; ".join(errors))
    manifests = {"Deployment": build_deployment(params)}
    if params.get("service", True):
        manifests["Service"] = build_service(params)
    if params.get("network_policy"):
        manifests["NetworkPolicy"] = build_network_policy(params)
    return manifests
