"""rollout_preflight given the plan alone: every site at once, each reached the way the inventory
says (release_check's fleet), results by host in the plan's order."""
import os

from ansible_collections.gpufleet.datacenter.plugins.modules import release_check
from ansible_collections.gpufleet.datacenter.plugins.modules.rollout_preflight import argument_spec, execute

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "releases")
SITES = [
    {"name": "eu", "host": "api-eu", "wave": 1, "gpu_product": "H100"},
    {"name": "us", "host": "api-us", "wave": 2, "gpu_product": "H100"},
    {"name": "apac", "host": "api-apac", "wave": 2, "gpu_product": "NVIDIA-L40S"},
]


def checked(tmp_path, fleet=True):
    result, error = release_check.execute({"path": os.path.join(FIXTURES, "valid.yml"), "sites": SITES,
                                           "journal_dir": str(tmp_path / "journal"), "reports_dir": str(tmp_path),
                                           "fleet_sites": None})
    assert error is None, error
    if fleet:
        # What the action plugin adds when it read the sites from the inventory; us names no context.
        result["fleet"] = [{"name": s["name"], "kubeconfig": str(tmp_path / ("%s.kubeconfig" % s["name"])),
                            "context": None if s["name"] == "us" else s["name"], "ca_cert": None} for s in SITES]
    return result


def params(**given):
    values = {name: spec.get("default") for name, spec in argument_spec().items()}
    values.update(given)
    return values


def test_every_site_of_the_plan_is_read_with_its_own_kubeconfig_by_host_in_plan_order(tmp_path):
    # A module_defaults kubeconfig and context: the inventory's win, the context where it names one.
    result, error = execute(params(release_check=checked(tmp_path), kubeconfig="/from/defaults", context="dflt"))
    assert error is None, error
    assert list(result["sites"]) == ["api-eu", "api-apac", "api-us"]
    for host, site in (("api-eu", "eu"), ("api-apac", "apac"), ("api-us", "us")):
        read = result["sites"][host]
        assert (read["host"], read["site"], read["reachable"]) == (host, site, False)
        # No API was reached: each kubeconfig the fleet names was the one refused.
        context = "dflt" if site == "us" else site
        assert read["problems"] == ["Failed to load kubeconfig %s context %s at site %s: cannot read it: No such "
                                    "file or directory" % (tmp_path / ("%s.kubeconfig" % site), context, site)]
    assert result["changed"] is False


def test_a_plan_whose_sites_were_not_read_from_the_inventory_is_refused_naming_them(tmp_path):
    result, error = execute(params(release_check=checked(tmp_path, fleet=False)))
    assert result == {}
    assert error == ("Failed to preflight release chat-2026-11: release_check does not say how to reach site(s) "
                     "eu, apac, us (its sites were given, not read from the inventory); preflight each site with "
                     "site and kubeconfig")


def test_a_journal_that_is_not_one_stops_the_whole_plan_with_its_path(tmp_path):
    check = checked(tmp_path)
    os.makedirs(os.path.dirname(check["journal"]), exist_ok=True)
    with open(check["journal"], "w", encoding="utf-8") as handle:
        handle.write("not json")
    result, error = execute(params(release_check=check))
    assert result == {}
    assert error.startswith("Failed to read journal %s: not valid JSON" % check["journal"]), error
