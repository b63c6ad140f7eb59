"""gpu_addons on a site that k3s has not provisioned yet (no kubeconfig written).

`site.yml --check` on a new fleet reaches the add-ons play before any cluster exists: check mode
must skip that site with a message, while a real run must still fail naming the site and path.
No lab needed: nothing is contacted.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from playbook_json import failures, run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "gpu_addons.yml"


@pytest.fixture
def new_site(tmp_path):
    kubeconfig = tmp_path / "never-written" / "new-site.kubeconfig"
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"kube_api": {"hosts": {"api-new-site": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "gpufleet_site": "new-site", "gpufleet_kubeconfig": str(kubeconfig)}}}}}}))
    return inventory, kubeconfig


def task_results(doc: dict, name: str) -> dict:
    """Results of the task named `name` (the callback prefixes role tasks with `<role> : `)."""
    return {host: res for play in doc["plays"] for task in play["tasks"]
            if task["task"]["name"].rpartition(" : ")[2] == name for host, res in task["hosts"].items()}


def test_check_mode_skips_a_site_without_kubeconfig(new_site):
    inventory, kubeconfig = new_site
    doc = run_playbook(PLAYBOOK, [inventory], {}, check=True)
    assert doc["rc"] == 0, failures(doc) or doc["stderr"][-3000:]
    report = task_results(doc, "Report a site not provisioned yet")["api-new-site"]
    assert "Site new-site has no kubeconfig at %s" % kubeconfig in report["msg"]
    # Nothing after the skip ran: no API task was even attempted.
    assert not task_results(doc, "Read the add-on namespace")
    assert doc["stats"]["api-new-site"]["failures"] == 0 and doc["stats"]["api-new-site"]["changed"] == 0


def test_real_run_fails_naming_the_site_and_path(new_site):
    inventory, kubeconfig = new_site
    doc = run_playbook(PLAYBOOK, [inventory], {})
    assert doc["rc"] != 0
    assert failures(doc) == ["api-new-site: gpufleet.datacenter.gpu_addons : Check that the site kubeconfig exists: Failed to connect to the Kubernetes "
                             "API at site new-site: no kubeconfig at %s (gpufleet_kubeconfig); the k3s role writes it "
                             "from the cluster-init server" % kubeconfig]
