#!/usr/bin/env bash
# Push-T from pixels + agent position, CPU recipe, vanilla vs KNN k = 2; resumable (rerun to continue).
# STEPS (default 12000) sets the budget; each budget trains in its own folder (the cosine schedule depends on it).
# ARMS (default "vanilla knn") picks the arms, e.g. ARMS=knn to run one arm beside another job.
set -euo pipefail
cd "$(dirname "$0")/../../.."
C=${IMMISCIBLE_CLI:-out/cli/immiscible}
STEPS=${STEPS:-12000}
export IMMISCIBLE_THREADS=1
for m in ${ARMS:-vanilla knn}; do
  if [ $m = vanilla ]; then extra=(--method Vanilla); else extra=(--method Knn --k 2); fi
  dir=runs/pusht-vision/$m-$STEPS
  echo "=== $m train start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
  $C train --task pusht --demos 200 --obs image --vision cpu --steps $STEPS --batch-size 64 --lr 1e-3 --lr-warmup 500 \
     --widths 32,64,128 --step-embed 32 --checkpoint-every 500 --seed 0 --threads 1 --out $dir "${extra[@]}"
  echo "=== $m train end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ ! -f $dir/eval/eval.json ]; then
    $C eval --checkpoint $dir --episodes 50 --first-seed 100000 --gifs 1 --threads 1 --out $dir/eval
  fi
  echo "=== $m eval end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
done
