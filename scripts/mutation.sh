#!/usr/bin/env bash
# Mutation score of the core rules (make mutation; docs/testing.md): mutmut mutates the rule files
# one small change at a time and runs their unit tests against each mutant. It works on a copy laid
# out as ansible_collections/gpufleet/datacenter, so the tests import the mutated copy under the
# collection's own module names, and the checkout is never touched. Prints killed / survived /
# equivalent (tests/mutation/equivalent.txt: survivors that no test can kill, each with its reason)
# and fails when fewer than MUTATION_MIN_SCORE % of the non-equivalent mutants are killed.
#
#   scripts/mutation.sh                  check every mutant that has no result yet
#   scripts/mutation.sh 'GLOB' ...       only those whose names match, e.g. '*.rollout.release.*'
#   MUTATION_RECHECK=survived|open scripts/mutation.sh 'GLOB' ...
#                                        the matching survivors again (after adding a test), or
#                                        those and the unchecked ones
#
# The copy and mutmut's results stay in MUTATION_WORK (.build/mutation) so a run picks up where the
# last stopped: a full run takes long on 2 cores, and a rule file measured is a real partial result.
# mutmut regenerates the mutants of a rule file that changed; the tests and the other plugins are
# refreshed in its mutants/ copy here, because mutmut copies a file there only once.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
min_score=${MUTATION_MIN_SCORE:-90}
work=${MUTATION_WORK:-$repo/.build/mutation}
echo "mutation: working in $work"
prefix=ansible_collections/gpufleet/datacenter
dest=$work/$prefix
rm -rf "$dest"
mkdir -p "$dest"
snapshot() { git ls-files -z --cached --others --exclude-standard plugins tests | tar --null -T - -cf -; }
snapshot | tar -C "$dest" -xf -

rules=(
  plugins/module_utils/site_plan.py
  plugins/module_utils/rollout/release.py
  plugins/module_utils/k8s/images.py
  plugins/module_utils/k8s/apply.py
  plugins/module_utils/k8s/versions.py
  plugins/module_utils/rollout/capacity.py
  plugins/module_utils/rollout/plan.py
  plugins/module_utils/rollout/resume.py
  plugins/module_utils/rollout/journal_store.py
)
unit=tests/unit/plugins
tests=(
  $unit/module_utils/test_site_plan.py $unit/module_utils/test_site_plan_overlap.py
  $unit/module_utils/test_site_plan_properties.py $unit/module_utils/test_site_plan_summary.py
  $unit/module_utils/test_rule_edges.py
  $unit/modules/test_site_plan_module.py
  $unit/module_utils/rollout/test_rollout_release.py $unit/module_utils/rollout/test_rollout_release_mutants.py
  $unit/modules/test_release_check.py
  $unit/module_utils/rollout/test_rollout_image_policy_path.py
  $unit/module_utils/k8s/test_k8s_images.py $unit/module_utils/k8s/test_k8s_images_properties.py
  $unit/module_utils/k8s/test_k8s_apply.py $unit/module_utils/k8s/test_k8s_apply_decision.py
  $unit/module_utils/k8s/test_k8s_versions.py $unit/module_utils/k8s/test_k8s_readers.py
  $unit/module_utils/rollout/test_rollout_capacity.py $unit/module_utils/rollout/test_rollout_capacity_products.py
  $unit/module_utils/rollout/test_rollout_plan.py $unit/module_utils/rollout/test_rollout_properties.py
  $unit/module_utils/rollout/test_rollout_resume.py
  $unit/module_utils/rollout/test_rollout_journal_store.py $unit/module_utils/rollout/test_rollout_journal_durability.py
  # Tests of other units that exercise the rules on their way (the release's URL and Prometheus
  # checks, the preflight's capacity, the site step's apply and resume, the filters' plan).
  $unit/module_utils/rollout/test_rollout_plain_http.py $unit/module_utils/rollout/test_rollout_prometheus_gate.py
  $unit/action/test_release_check_action.py $unit/action/test_site_plan_inventory.py $unit/filter/test_rollout_filters.py
  $unit/module_utils/rollout/test_rollout_preflight.py $unit/module_utils/rollout/test_rollout_site.py
  $unit/module_utils/k8s/test_k8s_runner.py $unit/module_utils/k8s/test_k8s_fleet.py $unit/modules/test_model_versions.py
)
toml_list() { local first=1; printf '['; for x in "$@"; do [ $first = 1 ] || printf ', '; printf '"%s/%s"' "$prefix" "$x"; first=0; done; printf ']'; }
# The wall-time test of the fleet query sleeps and asserts elapsed time: slow per mutant, and on a
# loaded host it fails for no mutant (a false kill). Hypothesis draws the same examples every run.
slow=$prefix/$unit/module_utils/k8s/test_k8s_fleet.py::test_sites_run_in_parallel_and_timeout_bounds_wall_time
cat > "$work/pyproject.toml" <<TOML
[tool.mutmut]
source_paths = ["ansible_collections"]
only_mutate = $(toml_list "${rules[@]}")
pytest_add_cli_args_test_selection = $(toml_list "${tests[@]}")
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "--hypothesis-seed=0", "--deselect", "$slow"]
use_git_change_detection = false
TOML

if [ -d "$work/mutants/$prefix" ]; then
  excludes=()
  for rule in "${rules[@]}"; do excludes+=(--exclude="./$rule"); done
  tar -C "$dest" "${excludes[@]}" -cf - . | tar -C "$work/mutants/$prefix" -xf -
fi

cd "$work"
start=$SECONDS
names=("$@")
if [ $# -gt 0 ] && [ -d mutants ]; then
  # mutmut checks again every mutant it is named; name only the unchecked (or surviving) ones.
  mapfile -t names < <("$repo/.venv/bin/python" "$repo/tests/mutation/pick.py" mutants "${MUTATION_RECHECK:-unchecked}" "$@")
  echo "mutation: ${#names[@]} mutants to check"
fi
if [ $# -eq 0 ] || [ ${#names[@]} -gt 0 ]; then
  "$repo/.venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" "${names[@]}" >"$work/run.log" 2>&1 ||
    { tail -n 40 "$work/run.log"; exit 1; }
  grep -a "mutations/second" "$work/run.log" | tail -n 1 || true
fi
"$repo/.venv/bin/mutmut" results --all true >"$work/results.txt" 2>&1 || true
"$repo/.venv/bin/python" "$repo/tests/mutation/score.py" "$work/results.txt" "$repo/tests/mutation/equivalent.txt" \
  "$min_score" "$((SECONDS - start))"
