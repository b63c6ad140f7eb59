#!/usr/bin/env bash
# Run independent stage scripts side by side and fail if any fails (used by `make test` for the
# lab integration tests and the molecule scenarios: both spend much of their time waiting, on
# Kubernetes controllers and on apt inside containers, so together they take far less than one
# after the other). Each stage writes its own log; a line per minute says where each one is, and
# every log is printed whole at the end, the failed ones last.
#
#   scripts/stages-together.sh integration molecule     runs scripts/integration.sh and scripts/molecule.sh
set -euo pipefail
cd "$(dirname "$0")/.."
logs=${STAGE_LOGS:-.cache/stages}
mkdir -p "$logs"

declare -A pid=()
declare -A rc=()
# Every stage still running when this script ends, however it ends (a stage that failed to start,
# set -e, Ctrl-C), is stopped with its whole process group: nothing outlives the run.
# shellcheck disable=SC2317  # only called through the trap
stop_all() {
  for stage in "${!pid[@]}"; do
    [ -z "${rc[$stage]:-}" ] || continue
    # A stage started an instant ago may not lead its group yet: then the process itself.
    kill -TERM -- "-${pid[$stage]}" 2>/dev/null || kill -TERM "${pid[$stage]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for stage in "$@"; do
  script=scripts/$stage.sh
  [ -x "$script" ] || { echo "stages-together.sh: no $script" >&2; exit 2; }
  # Own process group each, so an interrupted run stops the stage and everything it started;
  # -w: setsid waits for the stage even when it has to fork, so $! is the stage's lifetime.
  setsid -w "$script" >"$logs/$stage.log" 2>&1 &
  pid[$stage]=$!
  echo "==> $stage started (log $logs/$stage.log)"
done

start=$SECONDS
while [ ${#rc[@]} -lt ${#pid[@]} ]; do
  sleep 5
  for stage in "${!pid[@]}"; do
    [ -n "${rc[$stage]:-}" ] && continue
    if ! kill -0 "${pid[$stage]}" 2>/dev/null; then
      status=0
      wait "${pid[$stage]}" || status=$?
      rc[$stage]=$status
      echo "==> $stage finished with status $status after $((SECONDS - start)) s"
    fi
  done
  if [ $(((SECONDS - start) % 60)) -lt 5 ]; then
    for stage in "${!pid[@]}"; do
      [ -n "${rc[$stage]:-}" ] || echo "... $stage: $(tail -n 1 "$logs/$stage.log" | cut -c1-160)"
    done
  fi
done

failed=0
for stage in "$@"; do
  [ "${rc[$stage]}" -eq 0 ] || continue
  echo; echo "==================== $stage (ok) ===================="
  cat "$logs/$stage.log"
done
for stage in "$@"; do
  [ "${rc[$stage]}" -ne 0 ] || continue
  failed=1
  echo; echo "==================== $stage (FAILED, status ${rc[$stage]}) ===================="
  cat "$logs/$stage.log"
done
exit $failed
