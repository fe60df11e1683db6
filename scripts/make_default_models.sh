#!/usr/bin/env bash
# Reproduce the shipped default models (models/artifacts) from fixed seeds, and their held-out evaluation.
#
#   bash scripts/make_default_models.sh            # ~1-2 h on 2 cores; not run by the tests
#
# 1. features of a simulated training cohort (2400 patients, seed 1001), computed in memory and cached
#    (no session file is written; ~200 MB cache under $WORK);
# 2. training with the default TrainOptions (seed 20251125) straight into models/artifacts;
# 3. modality-specific ablation models (EMG only, motion only) under $WORK;
# 4. evaluation on a held-out simulated cohort (1000 patients, seed 2002) with the ablation and the prognosis
#    oracle, written to models/artifacts/evaluation.json (a report; not part of the verified manifest).
# Re-running reuses the caches. Models trained on simulated data are not clinically validated.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${FPCDS_MODEL_WORK:-/tmp/fpcds-default-models}
JOBS=${JOBS:-2}
FPCDS=.venv/bin/fpcds
mkdir -p "$WORK"
TRAIN=(--simulated 2400 --sim-seed 1001 --cache "$WORK/train-s1001-n2400.npz" --jobs "$JOBS")
HOLDOUT=(--simulated 1000 --sim-seed 2002 --cache "$WORK/holdout-s2002-n1000.npz" --jobs "$JOBS")

"$FPCDS" train "${TRAIN[@]}" --seed 20251125 --out models/artifacts
"$FPCDS" train "${TRAIN[@]}" --seed 20251125 --modalities emg --out "$WORK/emg-only"
"$FPCDS" train "${TRAIN[@]}" --seed 20251125 --modalities motion --out "$WORK/motion-only"
"$FPCDS" evaluate "${HOLDOUT[@]}" --model models/artifacts --emg-model "$WORK/emg-only" \
    --motion-model "$WORK/motion-only" --oracle --json > "$WORK/evaluation.json"
cp "$WORK/evaluation.json" models/artifacts/evaluation.json
"$FPCDS" evaluate "${HOLDOUT[@]}" --model models/artifacts --emg-model "$WORK/emg-only" \
    --motion-model "$WORK/motion-only" --oracle
