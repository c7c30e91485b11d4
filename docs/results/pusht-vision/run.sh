#!/usr/bin/env bash
# Push-T from pixels + agent position, CPU recipe, vanilla vs KNN k = 2; resumable (rerun to continue).
set -euo pipefail
cd "$(dirname "$0")/../../.."
C=${IMMISCIBLE_CLI:-out/cli/immiscible}
export IMMISCIBLE_THREADS=1
for m in vanilla knn; do
  if [ $m = vanilla ]; then extra=(--method Vanilla); else extra=(--method Knn --k 2); fi
  echo "=== $m train start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
  $C train --task pusht --demos 200 --obs image --vision cpu --steps 2500 --batch-size 64 --lr 1e-3 --lr-warmup 500 \
     --widths 32,64,128 --step-embed 32 --checkpoint-every 250 --seed 0 --threads 1 --out runs/pusht-vision/$m "${extra[@]}"
  echo "=== $m train end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ ! -f runs/pusht-vision/$m/eval/eval.json ]; then
    $C eval --checkpoint runs/pusht-vision/$m --episodes 50 --first-seed 100000 --gifs 1 --threads 1 --out runs/pusht-vision/$m/eval
  fi
  echo "=== $m eval end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
done
