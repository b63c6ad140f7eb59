"""gpu_addons' objects as the role renders them on the running ansible-core line.

The device plugin decodes `replicas` as a number and the Service port must be an integer;
before ansible-core 2.19 a `"{{ n | int }}"` leaf in a YAML variable became the string '4'.
The role's own objects.yml renders them here; CI runs this on every ansible-core line it claims.
"""
import pytest
import yaml

from .role_play import facts_for, include_role, run_tasks


def objects(tmp_path, **role_vars):
    extra = {"gpufleet_site": "eu-west", "gpu_addons_kubeconfig": "/nonexistent"}
    extra.update(role_vars)
    run = run_tasks(tmp_path, [include_role("gpu_addons", "objects")], facts_for("debian12"), extra)
    assert not run.failed, run.proc.stdout[-3000:]
    return run.result("Render the add-on objects")["ansible_facts"]["__gpu_addons_objects"]


def is_int(value):
    # A YAML/JSON integer, not a string and not a bool (bool is an int subclass).
    return isinstance(value, int) and not isinstance(value, bool)


def container(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]


# Inventory values often arrive as strings (extra vars, INI inventories): the role must still send integers.
@pytest.mark.parametrize("replicas,port", [(4, 9400), ("4", "9400")])
def test_time_slicing_replicas_and_ports_are_integers(tmp_path, replicas, port):
    objs = objects(tmp_path, gpu_addons_sharing="time-slicing", gpu_addons_time_slicing_replicas=replicas,
                   gpu_addons_dcgm_exporter_port=port)
    config = yaml.safe_load(objs["device_plugin_config"]["data"]["config.yaml"])
    resource = config["sharing"]["timeSlicing"]["resources"][0]
    assert resource == {"name": "nvidia.com/gpu", "replicas": 4}
    assert is_int(resource["replicas"])
    assert config["flags"] == {"migStrategy": "none", "failOnInitError": False}
    service_port = objs["dcgm_exporter_service"]["spec"]["ports"][0]
    assert service_port["port"] == 9400 and is_int(service_port["port"])
    container_port = container(objs["dcgm_exporter"])["ports"][0]["containerPort"]
    assert container_port == 9400 and is_int(container_port)
    # The config's checksum annotation restarts the plugin when the config text changes.
    annotations = objs["device_plugin"]["spec"]["template"]["metadata"]["annotations"]
    assert len(annotations["gpufleet.io/config-sha256"]) == 64


def test_mig_gives_the_plugin_sys_admin_and_mig_monitoring(tmp_path):
    objs = objects(tmp_path, gpu_addons_sharing="mig", gpu_addons_mig_strategy="mixed")
    plugin = container(objs["device_plugin"])
    env = {e["name"]: e["value"] for e in plugin["env"]}
    assert env["MIG_STRATEGY"] == "mixed"
    assert env["NVIDIA_MIG_MONITOR_DEVICES"] == "all"
    assert plugin["securityContext"]["capabilities"] == {"add": ["SYS_ADMIN"]}
    config = yaml.safe_load(objs["device_plugin_config"]["data"]["config.yaml"])
    assert config["flags"]["migStrategy"] == "mixed" and config["sharing"] == {}


def test_without_mig_the_plugin_keeps_every_capability_dropped(tmp_path):
    plugin = container(objects(tmp_path, gpu_addons_sharing="none")["device_plugin"])
    assert plugin["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert "NVIDIA_MIG_MONITOR_DEVICES" not in {e["name"] for e in plugin["env"]}
