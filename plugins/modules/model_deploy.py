#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: model_deploy
short_description: Deploy one model-serving workload to one GPU site
version_added: 1.0.0
description:
  - Builds a Deployment (and a Service) for a model server from a few parameters, with the model
    version as the C(app.kubernetes.io/version) label and annotation on the Deployment and its pod
    template, C(nvidia.com/gpu) limits, a C(nvidia.com/gpu.product) node selector, GPU taint
    tolerations and secure pod defaults.
  - Applies them with server-side apply under a field manager. Whether anything changes is decided by
    comparing a server-side dry-run apply with the live objects, so a second run reports no change.
  - Waits for the rollout like C(kubectl rollout status). When it does not complete, the module fails
    with a diagnosis built from the Deployment, its ReplicaSets, Pods and Events (for example
    C(Insufficient nvidia.com/gpu), a GPU product no node has, C(ImagePullBackOff), C(CrashLoopBackOff),
    a failing readiness probe, C(ProgressDeadlineExceeded)).
  - Returns the previous version and image, which is what a rollback needs.
author:
  - gpufleet maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.datacenter.k8s_auth
attributes:
  check_mode:
    support: full
    description: Runs server-side dry-run applies only and reports what would change.
  diff_mode:
    support: full
    description: Shows before and after of the fields this module manages, per object.
options:
  name:
    description: Name of the Deployment and Service (a DNS-1035 label).
    type: str
    required: true
  namespace:
    description: Namespace to deploy into.
    type: str
    required: true
  create_namespace:
    description: Create O(namespace) when it does not exist. Otherwise a missing namespace is an error.
    type: bool
    default: false
  state:
    description:
      - V(present) applies the Deployment and Service; V(absent) deletes both.
    type: str
    choices: [present, absent]
    default: present
  image:
    description:
      - Model server image as C(repository:tag), C(repository@sha256:digest) or C(repository:tag@sha256:digest).
      - Required when O(state=present).
    type: str
  allow_latest:
    description:
      - Accept an image without a tag or with the moving tag C(latest). Such a deployment cannot be
        rolled back to a known state, so this is refused by default.
    type: bool
    default: false
  require_digest:
    description: Refuse an image that is not pinned by digest.
    type: bool
    default: false
  model_version:
    description:
      - Version of the model being served, set as the C(app.kubernetes.io/version) label and annotation
        on the Deployment and the pod template. Must be a valid label value.
      - Required when O(state=present).
    type: str
  replicas:
    description: Number of model server replicas.
    type: int
    default: 1
  gpus:
    description: GPUs per replica, as the C(nvidia.com/gpu) limit. V(0) deploys without a GPU.
    type: int
    default: 1
  gpu_product:
    description:
      - Schedule only onto nodes whose C(nvidia.com/gpu.product) label has this value
        (for example C(NVIDIA-H100-80GB-HBM3), usually C(gpufleet_gpu.product)).
    type: str
  node_selector:
    description: Extra node selector labels, merged with the one from O(gpu_product).
    type: dict
  runtime_class:
    description:
      - RuntimeClass of the pods. V(nvidia) is the class the NVIDIA GPU operator or container toolkit installs.
      - The RuntimeClass must exist at the site, or the API server refuses the pods (the module then
        fails with C(FailedCreate)). Set V(none) or an empty string to use the node's default runtime.
    type: str
    default: nvidia
  tolerations:
    description:
      - Pod tolerations, as in the Kubernetes API.
      - When omitted and O(gpus) is not zero, the pods tolerate the C(nvidia.com/gpu) C(NoSchedule) taint.
        An empty list means no tolerations.
    type: list
    elements: dict
  port:
    description: Port the model server listens on (HTTP); the Service exposes the same port.
    type: int
    default: 8080
  command:
    description: Container entrypoint override.
    type: list
    elements: str
  args:
    description: Container arguments.
    type: list
    elements: str
  env:
    description:
      - Environment variables of the model server, as a name to value mapping.
      - "A value is a string, C({secret: NAME, key: KEY}) for a key of a Secret in O(namespace)
        (C(valueFrom.secretKeyRef)), or C({valueFrom: {...}}) as in the Kubernetes API. Put credentials in a
        Secret. Literal values appear in the diff only as fingerprints, and journals and reports keep
        only fingerprints of what they read back."
    type: dict
  resources:
    description:
      - Container C(resources) (C(requests) and C(limits) of cpu, memory, ...), as in the Kubernetes API.
      - The C(nvidia.com/gpu) limit always comes from O(gpus).
    type: dict
  readiness_probe:
    description:
      - Readiness probe, as in the Kubernetes API. Default is an HTTP GET of C(/v2/health/ready) (Open
        Inference Protocol V2, served by KServe, Triton and MLServer) on O(port).
      - An empty dict disables the probe.
    type: dict
  liveness_probe:
    description:
      - Liveness probe, as in the Kubernetes API. Default is an HTTP GET of C(/v2/health/live) on O(port),
        patient enough (30s delay, 8 failures of 15s) not to kill a server that is still loading a model.
      - An empty dict disables the probe.
    type: dict
  security_context:
    description:
      - Container security context keys that replace the defaults C(allowPrivilegeEscalation=false),
        C(capabilities.drop=[ALL]), C(readOnlyRootFilesystem=true), C(runAsNonRoot=true).
      - A writable C(emptyDir) is always mounted on C(/tmp).
    type: dict
  pod_security_context:
    description:
      - Pod security context keys that replace the defaults C(runAsNonRoot=true), C(runAsUser=1000),
        C(runAsGroup=1000), C(fsGroup=1000), C(seccompProfile.type=RuntimeDefault).
    type: dict
  labels:
    description: Extra labels for the Deployment, its pods and the Service.
    type: dict
  annotations:
    description: Extra annotations for the Deployment and its pods.
    type: dict
  strategy:
    description: Rolling update parameters.
    type: dict
    suboptions:
      max_surge:
        description:
          - Pods above O(replicas) during an update (number or percentage). A surge pod needs free GPUs.
        type: raw
        default: 1
      max_unavailable:
        description:
          - Pods below O(replicas) during an update (number or percentage). Set it above V(0) on a site
            without spare GPUs, or the rollout cannot start.
        type: raw
        default: 0
  revision_history_limit:
    description: Old ReplicaSets kept for C(kubectl rollout undo).
    type: int
    default: 10
  progress_deadline_seconds:
    description: Seconds without progress after which the Deployment reports C(ProgressDeadlineExceeded).
    type: int
    default: 600
  service:
    description: Also manage a Service named O(name) that selects the model server pods.
    type: bool
    default: true
  service_type:
    description: Type of that Service.
    type: str
    choices: [ClusterIP, NodePort, LoadBalancer]
    default: ClusterIP
  network_policy:
    description:
      - Also apply a NetworkPolicy named after the model that denies every ingress to its pods except TCP to
        O(port) (from O(network_policy_from)); removed with the model. Needs a CNI that enforces NetworkPolicy.
    type: bool
    default: false
  network_policy_from:
    description:
      - The peers (C(from) entries of the Kubernetes API, for example C(namespaceSelector)) allowed to reach
        O(port) when O(network_policy) is true. Default any peer.
    type: list
    elements: dict
  field_manager:
    description: Server-side apply field manager name.
    type: str
    default: gpufleet.datacenter
  force_conflicts:
    description:
      - Take over fields that another field manager owns (for example replicas after a C(kubectl scale)).
        When false, such a conflict fails the task and names the other manager.
    type: bool
    default: true
  adopt:
    description:
      - Change (or, with O(state=absent), delete) a Deployment or Service of this name that this collection did
        not create - one without the label C(app.kubernetes.io/managed-by=gpufleet.datacenter).
      - When false, such an object fails the task before anything changes, naming the object and its manager.
    type: bool
    default: false
  wait:
    description:
      - Wait until the rollout is complete (all replicas updated and available, old ones gone), or until
        the Deployment and Service are gone with O(state=absent).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds the whole task may take, API calls included. On expiry the task fails with a diagnosis.
    type: int
    default: 600
  wait_sleep:
    description: Seconds between two status polls.
    type: float
    default: 1
notes:
  - The probes are defaults for a V2 inference server; give O(readiness_probe) for other servers, for
    example C(/v1/models/<name>) for TensorFlow Serving.
seealso:
  - module: gpufleet.datacenter.model_versions
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Deploy the model to the site
  gpufleet.datacenter.model_deploy:
    site: "{{ gpufleet_site }}"
    kubeconfig: "{{ gpufleet_kubeconfig }}"
    context: "{{ gpufleet_kube_context | default(omit) }}"
    name: llm
    namespace: serving
    create_namespace: true
    image: registry.example.com/serving/tritonserver:24.05
    model_version: "2026.11.1"
    replicas: 2
    gpus: 1
    gpu_product: "{{ gpufleet_gpu.product }}"
    wait_timeout: 900
  register: __deploy

- name: Show what a rollback would restore
  ansible.builtin.debug:
    msg: "previous {{ __deploy.previous.version }} ({{ __deploy.previous.image }}), now revision {{ __deploy.revision }}"
  when: __deploy.previous is not none

- name: Deploy on a site without the NVIDIA RuntimeClass and without spare GPUs for a surge pod
  gpufleet.datacenter.model_deploy:
    site: lab-a
    kubeconfig: /etc/gpufleet/lab-a.kubeconfig
    name: embedder
    namespace: serving
    image: registry.example.com/serving/mlserver@sha256:4b7d9c0e2f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c
    require_digest: true
    model_version: v3
    runtime_class: none
    strategy:
      max_surge: 0
      max_unavailable: 1

- name: Remove the model from the site
  gpufleet.datacenter.model_deploy:
    site: "{{ gpufleet_site }}"
    kubeconfig: "{{ gpufleet_kubeconfig }}"
    name: llm
    namespace: serving
    state: absent
"""

RETURN = r"""
site:
  description: The site name given in O(site).
  returned: always
  type: str
  sample: eu-west
name:
  description: Name of the Deployment.
  returned: always
  type: str
  sample: llm
namespace:
  description: Namespace of the Deployment.
  returned: always
  type: str
  sample: serving
state:
  description: The requested state.
  returned: always
  type: str
  sample: present
model_version:
  description: The model version deployed.
  returned: when O(state=present)
  type: str
  sample: "2026.11.1"
image:
  description: The image deployed.
  returned: when O(state=present)
  type: str
  sample: registry.example.com/serving/tritonserver:24.05
previous:
  description: The Deployment before this task, or null when it did not exist. What a rollback needs.
  returned: always
  type: dict
  contains:
    version:
      description: Previous C(app.kubernetes.io/version).
      type: str
      sample: "2026.10.2"
    image:
      description: Previous model server image.
      type: str
      sample: registry.example.com/serving/tritonserver:24.04
    revision:
      description: Previous C(deployment.kubernetes.io/revision).
      type: int
      sample: 3
    replicas:
      description: Previous desired replicas.
      type: int
      sample: 2
revision:
  description: Deployment revision after the task (C(deployment.kubernetes.io/revision)).
  returned: when O(state=present)
  type: int
  sample: 4
replicas:
  description: Desired replicas.
  returned: when O(state=present)
  type: int
  sample: 2
ready_replicas:
  description: Ready replicas at the end of the task.
  returned: when O(state=present)
  type: int
  sample: 2
updated_replicas:
  description: Replicas running the new pod template at the end of the task.
  returned: when O(state=present)
  type: int
  sample: 2
available_replicas:
  description: Available replicas at the end of the task.
  returned: when O(state=present)
  type: int
  sample: 2
rollout_complete:
  description: Whether the rollout was complete at the end of the task (always false in check mode for a new Deployment).
  returned: when O(state=present)
  type: bool
  sample: true
rollout:
  description: The Deployment's rollout state at the end of the task.
  returned: when O(state=present)
  type: dict
  contains:
    exists:
      description: Whether the Deployment exists.
      type: bool
    complete:
      description: Same rule as C(kubectl rollout status).
      type: bool
    revision:
      description: Deployment revision.
      type: int
    replicas:
      description: Desired replicas.
      type: int
    updated_replicas:
      description: Replicas on the new template.
      type: int
    ready_replicas:
      description: Ready replicas.
      type: int
    available_replicas:
      description: Available replicas.
      type: int
    current_replicas:
      description: All replicas, old and new.
      type: int
    observed:
      description: Whether the controller has seen the latest spec.
      type: bool
  sample: {exists: true, complete: true, revision: 4, replicas: 2, updated_replicas: 2,
           ready_replicas: 2, available_replicas: 2, current_replicas: 2, observed: true}
objects:
  description: Each object the task applied or deleted, and whether it changed.
  returned: always
  type: list
  elements: dict
  sample: [{kind: Deployment, name: llm, namespace: serving, changed: true, created: false}]
elapsed:
  description: Seconds the task took, waiting included.
  returned: always
  type: float
  sample: 12.4
diagnosis:
  description:
    - Why the rollout did not complete. Set when the task fails while waiting.
  returned: on rollout failure
  type: dict
  contains:
    reason:
      description:
        - One of C(FailedCreate), C(InsufficientGPU), C(NoMatchingGPUProduct), C(Unschedulable), C(ErrImagePull),
          C(ImagePullBackOff), C(CrashLoopBackOff), C(ReadinessFailing), C(ProgressDeadlineExceeded), C(Pending),
          C(Progressing).
      type: str
      sample: InsufficientGPU
    message:
      description: One line naming the reason, the pods and the scheduler's or kubelet's message.
      type: str
      sample: "InsufficientGPU: 1 of 1 new pod(s) (llm-5d4f-x2x): 0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    progress_deadline_exceeded:
      description: Whether the Deployment reports C(ProgressDeadlineExceeded).
      type: bool
    new_replicaset:
      description: Name of the ReplicaSet being rolled out.
      type: str
    pods:
      description: The new ReplicaSet's pods that are not Ready, each with reason, message and its latest warning events.
      type: list
      elements: dict
    conditions:
      description: The Deployment's status conditions.
      type: list
      elements: dict
    replicaset_events:
      description: Latest warning events of the new ReplicaSet (for example C(FailedCreate)).
      type: list
      elements: dict
diff:
  description: Before and after of the managed fields of each changed object (with C(--diff)).
  returned: when diff mode is on and something changes
  type: list
  elements: dict
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.args import auth_arg_spec
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.client import (
    HAS_URLLIB3,
    URLLIB3_IMPORT_ERROR,
    SiteAuth,
    get_client,
)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import K8sError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.runner import DeployRunner


def argument_spec():
    spec = auth_arg_spec()
    spec.update(
        name={"type": "str", "required": True},
        namespace={"type": "str", "required": True},
        create_namespace={"type": "bool", "default": False},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        image={"type": "str"},
        allow_latest={"type": "bool", "default": False},
        require_digest={"type": "bool", "default": False},
        model_version={"type": "str"},
        replicas={"type": "int", "default": 1},
        gpus={"type": "int", "default": 1},
        gpu_product={"type": "str"},
        node_selector={"type": "dict"},
        runtime_class={"type": "str", "default": "nvidia"},
        tolerations={"type": "list", "elements": "dict"},
        port={"type": "int", "default": 8080},
        command={"type": "list", "elements": "str"},
        args={"type": "list", "elements": "str"},
        env={"type": "dict"},
        resources={"type": "dict"},
        readiness_probe={"type": "dict"},
        liveness_probe={"type": "dict"},
        security_context={"type": "dict"},
        pod_security_context={"type": "dict"},
        labels={"type": "dict"},
        annotations={"type": "dict"},
        strategy={"type": "dict", "options": {
            "max_surge": {"type": "raw", "default": 1},
            "max_unavailable": {"type": "raw", "default": 0},
        }},
        revision_history_limit={"type": "int", "default": 10},
        progress_deadline_seconds={"type": "int", "default": 600},
        service={"type": "bool", "default": True},
        service_type={"type": "str", "choices": ["ClusterIP", "NodePort", "LoadBalancer"], "default": "ClusterIP"},
        field_manager={"type": "str", "default": "gpufleet.datacenter"},
        force_conflicts={"type": "bool", "default": True},
        adopt={"type": "bool", "default": False},
        network_policy={"type": "bool", "default": False},
        network_policy_from={"type": "list", "elements": "dict"},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 600},
        wait_sleep={"type": "float", "default": 1},
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ("image", "model_version"))],
        supports_check_mode=True,
    )
    if not HAS_URLLIB3:
        module.fail_json(msg=missing_required_lib("urllib3"), exception=URLLIB3_IMPORT_ERROR)
    params = dict(module.params)
    try:
        client = get_client(SiteAuth.from_params(params["site"], params))
        result = DeployRunner(client, params, module.check_mode).run()
    except K8sError as e:
        partial = dict(e.result)
        if not module._diff:
            partial.pop("diff", None)
        module.fail_json(msg=str(e), **partial)
    except Exception as e:  # pylint: disable=broad-except
        # Unexpected bug: still say where, with the traceback for a report.
        module.fail_json(msg="Failed to deploy Deployment %s/%s at site %s: %s" % (
            params["namespace"], params["name"], params["site"], e), exception=traceback.format_exc())
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
