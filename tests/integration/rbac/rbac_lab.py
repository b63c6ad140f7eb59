"""A ServiceAccount granted by playbooks/rbac.yml, its tokens (TokenRequest API) and a kubeconfig
holding one context per lab site, named as the inventory's gpufleet_kube_context."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import List

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from rollout_lab import PLAYBOOKS, REPO, Rollout


class Restricted:
    def __init__(self, lab, rollout: Rollout):
        self.lab = lab
        self.rollout = rollout
        # Every cluster-scoped name is this test's own: tests never share or remove each other's grants.
        self.name = "gpufleet-rollout-%s" % rollout.token
        self.sa_namespace = "rbac-%s" % rollout.token
        self.kubeconfig = rollout.tmp / "restricted.kubeconfig"

    def grant(self, release: Path) -> subprocess.CompletedProcess:
        """playbooks/rbac.yml with the lab's admin kubeconfigs, for the release's namespaces."""
        extra = {"rbac_subject": {"kind": "ServiceAccount", "name": "rollout", "namespace": self.sa_namespace},
                 "rbac_cluster_role_name": self.name, "rbac_role_name": self.name, "rbac_binding_name": self.name}
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(self.lab.inventory),
               str(PLAYBOOKS / "rbac.yml"), "-e", "release=%s" % release,
               "-e", "rollout_reports_dir=%s" % self.rollout.reports, "-e", json.dumps(extra)]
        return subprocess.run(cmd, cwd=REPO, env=self.rollout.env(), capture_output=True, text=True,
                              timeout=600, check=False)

    def write_kubeconfig(self) -> Path:
        """One context per site with a fresh token of the ServiceAccount (an hour is plenty for a test)."""
        clusters, users, contexts = [], [], []
        for site in self.lab.sites:
            core = client.CoreV1Api(self.lab.kube(site))
            token = core.create_namespaced_service_account_token(
                "rollout", self.sa_namespace,
                client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
                    audiences=[], expiration_seconds=3600))).status.token
            ca = base64.b64encode(Path(site.ca_file).read_bytes()).decode()
            clusters.append({"name": site.name, "cluster": {"server": site.api_url, "certificate-authority-data": ca}})
            users.append({"name": "%s-rollout" % site.name, "user": {"token": token}})
            contexts.append({"name": site.context, "context": {"cluster": site.name, "user": "%s-rollout" % site.name}})
        doc = {"apiVersion": "v1", "kind": "Config", "clusters": clusters, "users": users, "contexts": contexts,
               "current-context": contexts[0]["name"]}
        self.kubeconfig.write_text(yaml.safe_dump(doc, sort_keys=False))
        self.kubeconfig.chmod(0o600)
        return self.kubeconfig

    def args(self) -> List[str]:
        """ansible-playbook arguments that put the restricted kubeconfig in place of the site's own."""
        return ["-e", "gpufleet_kubeconfig=%s" % self.kubeconfig]

    def drop_verb(self, site, kind: str, resource: str, verb: str) -> None:
        """Take one verb off the rule for `resource` in this test's Role (kind Role) or ClusterRole."""
        rbac = client.RbacAuthorizationV1Api(self.lab.kube(site))
        if kind == "Role":
            role = rbac.read_namespaced_role(self.name, self.rollout.namespace)
        else:
            role = rbac.read_cluster_role(self.name)
        found = False
        for rule in role.rules:
            if resource in rule.resources and verb in rule.verbs:
                rule.verbs = [v for v in rule.verbs if v != verb]
                found = True
        assert found, "no rule grants %s %s in %s %s" % (verb, resource, kind, self.name)
        role.rules = [rule for rule in role.rules if rule.verbs]  # a rule needs a verb
        if kind == "Role":
            rbac.replace_namespaced_role(self.name, self.rollout.namespace, role)
        else:
            rbac.replace_cluster_role(self.name, role)

    def cleanup(self) -> None:
        for site in self.lab.sites:
            api = self.lab.kube(site)
            rbac = client.RbacAuthorizationV1Api(api)
            for delete in (lambda: rbac.delete_cluster_role_binding(self.name),
                           lambda: rbac.delete_cluster_role(self.name),
                           lambda: client.CoreV1Api(api).delete_namespace(self.sa_namespace)):
                try:
                    delete()
                except ApiException as e:
                    if e.status != 404:
                        raise
