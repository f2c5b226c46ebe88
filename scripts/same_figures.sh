#!/usr/bin/env bash
# The same short pipeline on two versions of rig, to show a refactoring changes no figure:
#   git worktree add /tmp/before <rev> && mkdir -p /tmp/before_pkg && ln -sfn /tmp/before /tmp/before_pkg/rig
#   bash scripts/same_figures.sh before /tmp/before_pkg     # the old code (first on PYTHONPATH)
#   bash scripts/same_figures.sh after                      # this checkout
#   bash scripts/same_figures.sh compare
# Collects 6 expert:player episodes, tokenizes them with the shipped tokenizer, trains the tiny
# policy 12 steps, evaluates it on 4 seeds and runs `rig bench policy`; `compare` checks that
# every training line and every evaluated episode is equal and prints both benchmarks.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=${SAME_FIGURES_DIR:-/tmp/same-figures}
label=$1
if [ "$label" = compare ]; then
    "$here/.venv/bin/python" - "$root" <<'PY'
import json, sys
root = sys.argv[1]
lines = {l: [{k: v for k, v in json.loads(x).items() if k != "tokens_per_second"}
             for x in open(f"{root}/{l}/run/metrics.jsonl")] for l in ("before", "after")}
episodes = {l: [{k: v for k, v in d.items() if k not in ("seconds", "agent")}
                for d in json.load(open(f"{root}/{l}/eval.json"))["episodes_detail"]]
            for l in ("before", "after")}
print(f"training: {len(lines['after'])} steps, every line equal: {lines['before'] == lines['after']}")
print(f"evaluation: {len(episodes['after'])} episodes, all equal: "
      f"{episodes['before'] == episodes['after']}")
for l in ("before", "after"):
    print(l, "".join(open(f"{root}/{l}/bench.log").read().splitlines(True)[-5:]), end="")
PY
    exit 0
fi
export PYTHONPATH=${2:-}
out=$root/$label; rm -rf "$out"; mkdir -p "$out"
export OMP_NUM_THREADS=1
rig=("$here/.venv/bin/python" -m rig)
cd /tmp
"${rig[@]}" collect --out "$out/data.zarr" --agent expert:player --episodes 6 --max-steps 60 --workers 1 > "$out/collect.log" 2>&1
"${rig[@]}" data tokenize --data "$out/data.zarr" --tokenizer "$here/pretrained/crafter-tokenizer" --device cpu > "$out/tokenize.log" 2>&1
"${rig[@]}" train policy "$out/data.zarr" --out "$out/run" --steps 12 --batch-size 2 --checkpoint-every 4 --eval-every 6 --warmup 2 --text-vocab 300 --device cpu --threads 1 --val-fraction 0.3 > "$out/train.log" 2>&1
"${rig[@]}" eval --agent "rig:$out/run/final" --episodes 4 --max-steps 25 --workers 1 --json "$out/eval.json" > "$out/eval.log" 2>&1
"${rig[@]}" bench policy --steps 4 --worlds 1 4 --threads 1 > "$out/bench.log" 2>&1
echo "$label: figures in $out"
