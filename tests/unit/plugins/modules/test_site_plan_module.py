"""site_plan: one implementation for the module and the action plugin, and a useful import error."""
from ansible_collections.gpufleet.datacenter.plugins.modules import site_plan


def test_missing_netaddr_names_the_library_and_keeps_the_real_traceback(monkeypatch):
    monkeypatch.setattr(site_plan, "HAS_NETADDR", False)
    monkeypatch.setattr(site_plan, "NETADDR_IMPORT_ERROR", "Traceback ...\nModuleNotFoundError: No module named 'netaddr'\n")
    result, error = site_plan.execute({"sites": {}, "hosts": []})
    assert "netaddr" in error
    assert result["exception"].endswith("No module named 'netaddr'\n")


def test_errors_found_while_reading_the_inventory_are_reported_with_the_plan_errors():
    result, error = site_plan.execute({"sites": {}, "hosts": []}, ["host h1: gpufleet_site is not set"])
    assert error.startswith("Site plan has 2 error(s):\nhost h1: gpufleet_site is not set\n")
    assert result["errors"][0] == "host h1: gpufleet_site is not set" and "no sites" in result["errors"][1]
