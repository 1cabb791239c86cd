#!/usr/bin/env bash
# Time from `coral up` to a notebook that answers with its token (images
# already built), against the same done by hand (bench/reference_up.py:
# plain `docker run --network none` + the same CNI chain + wait for /api).
# The two alternate, RUNS times each; prints both medians and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CORAL=${CORAL:-build/coral}
state=$(mktemp -d /tmp/coral-bench.XXXXXX)
trap '"$CORAL" down --state-dir "$state/coral" >/dev/null 2>&1 || true; python3 bench/reference_up.py down "$state/ref" || true; rm -rf "$state"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

coral_times=() ref_times=()
for i in $(seq "$RUNS"); do
  t0=$(date +%s.%N)
  "$CORAL" up --state-dir "$state/coral" >/dev/null
  t1=$(date +%s.%N)
  coral_times+=("$(python3 -c "print(f'{$t1 - $t0:.3f}')")")
  "$CORAL" down --state-dir "$state/coral" >/dev/null

  ref_times+=("$(python3 bench/reference_up.py up "$state/ref")")
  python3 bench/reference_up.py down "$state/ref"
  echo "run $i: coral ${coral_times[-1]} s, reference ${ref_times[-1]} s"
done
coral_median=$(printf '%s\n' "${coral_times[@]}" | median)
ref_median=$(printf '%s\n' "${ref_times[@]}" | median)
echo "coral up → notebook ready: median ${coral_median} s over $RUNS runs"
echo "by hand (docker run + CNI chain): median ${ref_median} s over $RUNS runs"
echo "ratio coral/reference: $(python3 -c "print(f'{$coral_median / $ref_median:.3f}')")  (target ≤ 1.15)"
