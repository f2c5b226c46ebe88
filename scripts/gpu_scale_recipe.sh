# Issue 21, point 5: the CPU recipe's data grown 4x and trained on a lent GPU (one H200, 16
# cores), as one command of under 10 minutes (docs/policy.md, "GPU: 4x the teacher data").
#   collect 256 player-view teacher episodes (seeds 0-255, two stores as on the CPU) and the
#   6 held-out ones -> tokenize on the GPU -> train side by side for TRAIN_MIN minutes on the
#   same data: the RIG policy (cnn eye, reasoning + imagination), its action-only ablation
#   and the bc baseline -> evaluate each on seeds 2000-2039 (40 episodes, horizons 1,000 and
#   10,000). The image tokens come back (with the frames' digest, each episode's seed and end)
#   so that CPU runs, whose collection gives the same episodes in another order, need not
#   spend 40 minutes tokenizing (docs/results/4x-data-20min/import_tokens.py).
# Usage (repo root; rig importable as `python3 -m rig`): OUT=out bash scripts/gpu_scale_recipe.sh [TRAIN_MIN]
TRAIN_MIN=${1:-4}; OUT=${OUT:-/tmp/gout}; W=${WORK:-/tmp/gw};
# smaller, for a dry run on a CPU: DEV=cpu EXP=2 MORE=2 HELD=1 WORKERS=1 EVAL_EP=2 LOADERS=1
DEV=${DEV:-cuda}; EXP=${EXP:-64}; MORE=${MORE:-192}; HELD=${HELD:-6}; WORKERS=${WORKERS:-16}
EVAL_EP=${EVAL_EP:-40}; LOADERS=${LOADERS:-5}; rm -rf $W; mkdir -p $W/reports $OUT
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TQDM_MININTERVAL=30 TOKENIZERS_PARALLELISM=false
T0=$(date +%s); log() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
RIG="python3 -m rig"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; nproc
collect() { timeout 150 $RIG collect --agent expert:player --max-steps 1000 --workers $WORKERS "$@" 2>&1 | tail -1; }
collect --out $W/expert.zarr --episodes $EXP --seed 0
collect --out $W/more.zarr --episodes $MORE --seed 64
collect --out $W/heldout.zarr --episodes $HELD --seed 1000
log "collected"
for d in expert more heldout; do
  timeout 120 $RIG data tokenize --data $W/$d.zarr --tokenizer crafter --device $DEV 2>&1 | tail -1
done
log "tokenized"
# the tokens and a digest of the frames they encode, one file a store (each under 16 MiB)
python3 - "$W" "$OUT" <<'PY'
import hashlib, sys
import numpy as np
from rig.trajectories.store import TrajectoryStore
w, out = sys.argv[1:]
for name in ("expert", "more", "heldout"):
    store = TrajectoryStore.open(f"{w}/{name}.zarr", "r")
    frames = store.read("image")
    digest = hashlib.sha256(np.ascontiguousarray(frames).tobytes()).hexdigest()
    np.savez_compressed(f"{out}/tokens-{name}.npz", image_tokens=store.read("image_tokens"),
                        frames_sha256=digest, info=str(store.attrs.get("image_tokens")),
                        episode_ends=np.asarray(store.episode_ends()),
                        seeds=np.asarray(store.read_meta("seed")))
    print(name, store.num_steps, "steps", digest[:16])
PY
ls -la $OUT; log "tokens saved"
COMMON="$W/expert.zarr $W/more.zarr --image-input cnn --steps 1000000 --max-minutes $TRAIN_MIN \
  --batch-size 64 --warmup 200 --context-steps 2 --imagine-rate 0.25 --checkpoint-every 100000 \
  --eval-every 1000 --loader-workers $LOADERS --threads 2 --device $DEV"
$RIG train policy $COMMON --out $W/rig-small --preset small --lr 1e-3 > $W/train-rig-small.log 2>&1 &
$RIG train policy $COMMON --out $W/rig-small-actonly --preset small --lr 1e-3 \
  --no-reasoning --no-imagination > $W/train-rig-small-actonly.log 2>&1 &
$RIG train bc $W/expert.zarr $W/more.zarr --out $W/bc --steps 1000000 --max-minutes $TRAIN_MIN \
  --eval-every 2000 --checkpoint-every 100000 --threads 2 --device $DEV > $W/train-bc.log 2>&1 &
wait
log "trained"
for r in rig-small rig-small-actonly bc; do
  echo "== $r"; grep -v "it/s\|s/it" $W/train-$r.log | tail -3; tail -n 1 $W/$r/metrics.jsonl
  cp $W/$r/metrics.jsonl $W/reports/metrics-$r.jsonl; cp $W/train-$r.log $W/reports/
done
LEFT=$(( 560 - $(date +%s) + T0 ))
ev() { timeout $LEFT $RIG eval --episodes $EVAL_EP --seed 2000 --no-imagine "$@" > /dev/null 2>&1; }
for h in 1000 10000; do
  ev --agent rig:$W/rig-small/final --max-steps $h --workers 1 --num-worlds $EVAL_EP --device $DEV \
    --json $W/reports/rig-small-h$h.json &
  ev --agent rig:$W/rig-small-actonly/final --max-steps $h --workers 1 --num-worlds $EVAL_EP \
    --device $DEV --json $W/reports/rig-small-actonly-h$h.json &
  ev --agent bc:$W/bc/final --max-steps $h --workers 2 --num-worlds $(( (EVAL_EP + 1) / 2 )) --device cpu --threads 1 \
    --json $W/reports/bc-h$h.json &
done
wait
log "evaluated"
python3 - "$W/reports" <<'PY'
import json, pathlib, sys
for p in sorted(pathlib.Path(sys.argv[1]).glob("*-h*.json")):
    s = json.loads(p.read_text())
    print(p.stem, {k: s[k] for k in s if isinstance(s[k], (int, float, str))})
PY
tar czf $OUT/reports.tar.gz -C $W reports
ls -la $OUT; log "all done"
