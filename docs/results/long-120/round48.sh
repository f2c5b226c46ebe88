# round 48 (docs/policy.md entry 16, "Next"): goal-first against act-first wording, a short pair.
# The 256 teacher episodes collected again in expert:player,goal-first (the same seeds, actions and
# frames; image tokens attached from the act-first stores), then the shipped recipe on each
# wording for 15 CPU minutes, side by side, one thread each; seeds 2000-2039, horizon 10,000.
set -e
cd /work/data/ns
R=/work/main/.venv/bin/rig
A=/work/main/docs/results/act-first-20min/attach_tokens.py
$R collect --out gf/expert.zarr --agent expert:player,goal-first --episodes 64 --seed 0 --max-steps 1000 --workers 1
$R collect --out gf/more.zarr --agent expert:player,goal-first --episodes 192 --seed 64 --max-steps 1000 --workers 1
/work/main/.venv/bin/python $A gf/expert.zarr expert.zarr more.zarr
/work/main/.venv/bin/python $A gf/more.zarr expert.zarr more.zarr
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 15 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --out runs/af-15 > runs/af-15.log 2>&1 &
$R train policy gf/expert.zarr gf/more.zarr $C --out runs/gf-15 > runs/gf-15.log 2>&1 &
wait
for N in af-15 gf-15; do
    $R eval --agent rig:runs/$N/final --episodes 40 --seed 2000 --max-steps 10000 --workers 1 --num-worlds 10 --no-imagine --json reports/$N-h10000.json > reports/$N-eval.log 2>&1 &
done
wait
