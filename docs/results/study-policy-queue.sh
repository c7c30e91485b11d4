#!/bin/bash
# Runs the policy study's cells from one priority queue with N workers side by side (protocol, amendment 1).
# Each worker claims the next unclaimed cell (mkdir is atomic) and runs it with `study cell`; an interrupted cell
# resumes from its checkpoint when the queue is started again (claims of unfinished cells are cleared at start).
# Usage: docs/results/study-policy-queue.sh CLI OUT [WORKERS]
set -u
CLI=${1:?path to the immiscible CLI}; OUT=${2:?study folder}; WORKERS=${3:-2}
CELLS=(pusht-mm-vanilla-s0 pusht-mm-knn2-s0 pusht-mm-la-recipe-s0 pusht-mm-obs-aware-s0 pusht-mm-la-s0)
for s in 1 2; do CELLS+=(pusht-mm-vanilla-s$s pusht-mm-knn2-s$s); done
for s in 0 1 2; do for m in vanilla knn2 knn4 la la-recipe obs-aware; do CELLS+=(bimodal-skew-$m-s$s); done; done
for s in 1 2; do CELLS+=(pusht-mm-la-recipe-s$s pusht-mm-obs-aware-s$s pusht-mm-la-s$s); done
for s in 0 1 2; do CELLS+=(pusht-mm-knn4-s$s); done
CELLS+=(pusht-mm-vanilla-s3 pusht-mm-vanilla-s4 best-s3 best-s4)
# Amendment 3 (exploratory, descriptive only): the lambda sweep of observation-aware pairing on bimodal.
for s in 0 1 2; do for l in 0.1 0.3; do CELLS+=(bimodal-skew-obs-aware-$l-s$s); done; done
# The protocol's best pairing: highest mean final DP score over seeds 0-2 among the five pairings (ties: the earlier
# one in this order). Known only once all 15 of those cells are complete; until then "best-*" entries wait.
best_pairing() {
  python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
means = []
for m in ["knn2", "knn4", "la", "la-recipe", "obs-aware"]:
    scores = []
    for s in range(3):
        try:
            r = json.load(open(os.path.join(out, "cells", f"pusht-mm-{m}-s{s}", "result.json")))
        except OSError:
            sys.exit(1)
        if not r.get("Completed"):
            sys.exit(1)
        scores.append(r["Curve"][-1]["Metrics"]["score"])
    means.append((sum(scores) / 3, m))
best = max(means, key=lambda t: t[0])   # max keeps the first of equal scores
print(best[1])
PY
}
mkdir -p "$OUT/claims"
running() { pgrep -f "study cell --preset policy" | wc -l; }
# Clear claims of unfinished cells, unless a cell process of an earlier queue is still running it.
for c in "$OUT"/claims/*; do [ -e "$c" ] || continue; id=$(basename "$c")
  grep -q '"Completed": true' "$OUT/cells/$id/result.json" 2>/dev/null && continue
  pgrep -f -- "--cell-id $id " > /dev/null || rmdir "$c"; done
worker() {
  for id in "${CELLS[@]}"; do
    if [[ $id == best-* ]]; then
      while ! m=$(best_pairing); do sleep 30; done
      id=pusht-mm-$m-${id#best-}
    fi
    [ -d "$OUT/claims/$id" ] && continue
    # One worker at a time checks for a free slot and starts its cell (flock), so never more than WORKERS cells run,
    # counting cells started by an earlier queue.
    exec 9>"$OUT/claims.lock"; flock 9
    while [ "$(running)" -ge "$WORKERS" ]; do sleep 10; done
    if ! mkdir "$OUT/claims/$id" 2>/dev/null; then flock -u 9; continue; fi
    echo "[worker $1] $id start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$CLI" study cell --preset policy --cell-id "$id" --out "$OUT" --threads 1 &
    pid=$!; sleep 5; flock -u 9
    wait $pid; rc=$?
    echo "[worker $1] $id end $(date -u +%H:%M:%S) rc $rc load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
}
for w in $(seq 1 "$WORKERS"); do worker "$w" & done
wait
