# The GPU recipe of the RIG policy as run on the lent H100 (docs/policy.md): collect, tokenize,
# train small models with VQ-token and patch input side by side, imagination and Crafter score.
# Usage (repo root, one GPU): OUT=out bash scripts/gpu_policy_recipe.sh TRAIN_MINUTES EVAL_EPISODES
TRAIN_MIN=${1:-3}; EV=${2:-10}; OUT=${OUT:-/tmp/pout}; W=/tmp/pw; rm -rf $W; mkdir -p $W $OUT
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TQDM_MININTERVAL=30 TOKENIZERS_PARALLELISM=false
log() { echo "[$(date +%T)] $*"; }
T0=$(date +%s)
nvidia-smi --query-gpu=name --format=csv,noheader
timeout 80 python3 -m rig collect --out $W/expert.zarr --agent expert --episodes 40 --seed 0 --max-steps 1000 --workers 16 2>&1 | tail -1
timeout 50 python3 -m rig collect --out $W/more.zarr --agent expert --episodes 24 --seed 40 --max-steps 1000 --workers 16 2>&1 | tail -1
timeout 40 python3 -m rig collect --out $W/heldout.zarr --agent expert --episodes 8 --seed 1000 --max-steps 1000 --workers 8 2>&1 | tail -1
for d in expert more heldout; do timeout 60 python3 -m rig data tokenize --data $W/$d.zarr --tokenizer pretrained/crafter-tokenizer --device cuda 2>&1 | tail -1; done
log "data done after $(( $(date +%s) - T0 )) s"
T1=$(date +%s)
for input in patches tokens; do
  python3 -m rig train policy $W/expert.zarr $W/more.zarr --out $W/policy-$input --image-input $input --preset small --steps 100000 --max-minutes $TRAIN_MIN \
    --batch-size 32 --lr 1e-3 --warmup 100 --context-steps 2 --imagine-rate 1.0 --checkpoint-every 100000 --eval-every 300 --device cuda > $W/train-$input.log 2>&1 &
done
wait
for input in patches tokens; do grep -v "step/s" $W/train-$input.log | tail -2; tail -n 1 $W/policy-$input/metrics.jsonl; done
python3 - <<'PY' > $OUT/train-summary.json
import json
out = {}
for i in ("patches", "tokens"):
    lines = [json.loads(l) for l in open(f"/tmp/pw/policy-{i}/metrics.jsonl")]
    out[i] = {"steps": len(lines), "last": lines[-1]}
print(json.dumps(out, indent=1))
PY
log "train wall $(( $(date +%s) - T1 )) s"
for input in patches tokens; do
  timeout 100 python3 -m rig eval imagination --agent rig:$W/policy-$input/final --data $W/heldout.zarr --holdout-seed 1000 --transitions 256 --batch 64 --device cuda --json $OUT/imagination-$input.json > $W/imag-$input.log 2>&1 &
done
wait; cat $W/imag-*.log
log "imagination done after $(( $(date +%s) - T0 )) s"
LEFT=$(( 575 - $(date +%s) + T0 ))
for input in patches tokens; do
  timeout $LEFT python3 -m rig eval --agent rig:$W/policy-$input/final --episodes $EV --seed 2000 --max-steps 1000 --num-worlds $EV --workers 1 --device cuda --no-imagine --json $OUT/eval-$input.json > $W/eval-$input.log 2>&1 &
done
wait; for input in patches tokens; do grep -E "Crafter score" $W/eval-$input.log; done
ls -la $OUT
log "all done after $(( $(date +%s) - T0 )) s"
