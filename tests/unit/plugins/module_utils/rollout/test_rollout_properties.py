"""Properties of the rollout's rules over random fleets and histories: a plan rolls every site exactly
once with the canary first, the journal never loses a site's rollback target (`before`), and the
capacity check never approves more GPUs of a product than the site has free of that product."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.capacity import (
    capacity_problems, free_by_product)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.journal import (
    STATUSES, apply_event, new_journal)
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import plan_batches

NAMES = ["eu", "us", "apac", "sa", "af", "me", "oc", "ca"]


@st.composite
def fleets(draw):
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=len(NAMES), unique=True))
    top = draw(st.integers(1, len(names)))
    waves = {n: draw(st.integers(1, top)) for n in names}
    return {n: {"host": "api-" + n, "wave": w} for n, w in waves.items()}


@st.composite
def policies(draw, sites):
    names = list(sites)
    policy = {}
    shape = draw(st.sampled_from(["inventory", "sites_per_wave", "waves"]))
    if shape == "sites_per_wave":
        policy["sites_per_wave"] = draw(st.integers(1, len(names)))
    elif shape == "waves":
        order = draw(st.permutations(names))
        cuts = sorted(draw(st.sets(st.integers(1, len(names) - 1), max_size=len(names) - 1))) if len(names) > 1 else []
        bounds = [0] + cuts + [len(names)]
        policy["waves"] = [list(order[a:b]) for a, b in zip(bounds, bounds[1:])]
    if draw(st.booleans()):
        policy["canary"] = draw(st.sampled_from(names))
    return policy


@settings(deadline=None)
@given(st.data())
def test_every_plan_rolls_every_site_exactly_once_canary_first(data):
    sites = data.draw(fleets())
    policy = data.draw(policies(sites))
    plan = plan_batches(policy, sites)
    rolled = [s for batch in plan["batches"] for s in batch["sites"]]
    assert sorted(rolled) == sorted(sites) and len(rolled) == len(set(rolled))
    assert plan["batches"][0] == {"label": "canary", "sites": [plan["canary"]]}
    assert plan["canary"] == policy.get("canary", plan["waves"][0][0])
    assert all(batch["sites"] for batch in plan["batches"])
    assert plan["hosts"] == [sites[s]["host"] for s in rolled]
    assert plan["serial"] == [len(batch["sites"]) for batch in plan["batches"]]
    # Waves keep their order after the canary: no site rolls before a site of an earlier wave.
    wave_of = {s: i for i, wave in enumerate(plan["waves"]) for s in wave}
    after_canary = [wave_of[s] for s in rolled[1:]]
    assert after_canary == sorted(after_canary)


SNAPSHOTS = st.dictionaries(st.sampled_from(["chat", "embed"]),
                            st.fixed_dictionaries({"exists": st.booleans(), "version": st.sampled_from(["1", "2"])}),
                            min_size=1)
events = st.fixed_dictionaries({}, optional={
    "status": st.sampled_from(STATUSES), "before": st.one_of(st.none(), SNAPSHOTS), "after": SNAPSHOTS,
    "host": st.sampled_from(["api-eu", "api-us"]), "diagnosis": st.sampled_from(["stuck", ""]),
    "clear_diagnosis": st.booleans(), "phase": st.sampled_from(["deploy", "gate", "rollback"]),
    "phase_state": st.sampled_from(["started", "finished"]), "gates": st.just([{"name": "soak", "passed": True}]),
})


@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["eu", "us"]), events), max_size=25))
def test_the_journal_keeps_the_first_recorded_before_of_every_site(history):
    journal = new_journal("r1", "f" * 64, {}, "2026-12-01T00:00:00.000000Z")
    first_before = {}
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    for i, (site, event) in enumerate(history):
        journal = apply_event(journal, site, event, now + timedelta(seconds=i))
        if event.get("before") is not None:
            first_before.setdefault(site, event["before"])
        for recorded_site, before in first_before.items():
            assert journal["sites"][recorded_site]["before"] == before
    for site, entry in journal["sites"].items():
        assert entry["before"] == first_before.get(site)


PRODUCTS = ["NVIDIA-H100-80GB-HBM3", "NVIDIA-L40S", "NVIDIA-A100-SXM4-80GB"]
nodes = st.lists(st.fixed_dictionaries({
    "product": st.sampled_from(PRODUCTS), "gpus": st.integers(0, 8), "unschedulable": st.booleans()}), max_size=5)


@st.composite
def sites_state(draw):
    node_list = draw(nodes)
    names = ["n%d" % i for i in range(len(node_list))]
    pods = draw(st.lists(st.fixed_dictionaries({
        "node": st.one_of(st.none(), st.sampled_from(names + ["gone"])) if names else st.none(),
        "phase": st.sampled_from(["Pending", "Running", "Succeeded", "Failed", "Unknown"]),
        "gpus": st.integers(0, 4)}), max_size=8))
    return node_list, pods


def as_objects(node_list, pods):
    node_objs = [{"metadata": {"name": "n%d" % i, "labels": {"nvidia.com/gpu.product": n["product"]}},
                  "spec": {"unschedulable": n["unschedulable"]},
                  "status": {"allocatable": {"nvidia.com/gpu": str(n["gpus"])}}} for i, n in enumerate(node_list)]
    pod_objs = [{"metadata": {"namespace": "models", "labels": {}},
                 "spec": dict({"containers": [{"resources": {"limits": {"nvidia.com/gpu": str(p["gpus"])}}}]},
                              **({"nodeName": p["node"]} if p["node"] else {})),
                 "status": {"phase": p["phase"]}} for p in pods]
    return node_objs, pod_objs


def free_of(product, node_list, pods):
    """The oracle: allocatable on schedulable nodes of the product minus what pods bound there and not
    finished hold."""
    usable = {"n%d" % i: n for i, n in enumerate(node_list)
              if n["product"] == product and not n["unschedulable"] and n["gpus"] > 0}
    held = sum(p["gpus"] for p in pods if p["node"] in usable and p["phase"] not in ("Succeeded", "Failed"))
    return sum(n["gpus"] for n in usable.values()) - held


@settings(deadline=None)
@given(sites_state(), st.lists(st.tuples(st.sampled_from(PRODUCTS), st.integers(0, 20), st.integers(0, 4)),
                               min_size=1, max_size=3))
def test_capacity_never_approves_more_gpus_of_a_product_than_free_of_that_product(state, wanted):
    node_list, pods = state
    totals = free_by_product(*as_objects(node_list, pods))
    needs = [{"model": "m%d" % i, "product": p, "requested": r, "held": h, "detail": ""}
             for i, (p, r, h) in enumerate(wanted)]
    problems = capacity_problems("eu", needs, totals)
    for product in {p for p, _r, _h in wanted}:
        requested = sum(r for p, r, _h in wanted if p == product)
        held = sum(h for p, _r, h in wanted if p == product)
        if product in totals:
            assert totals[product]["free"] == free_of(product, node_list, pods)
        refused = [m for m in problems if "of product %s:" % product in m or "GPU product %s (" % product in m]
        fits = product in totals and requested <= free_of(product, node_list, pods) + held
        # Approved exactly when it fits: never more than free (plus what the replaced models hold).
        assert bool(refused) is not fits, (product, requested, held, totals, problems)
