# Entry 10, pair 1: +reasoning (no imagined frames) on the act-first wording against the same
# recipe on the original wording, side by side, 20 CPU minutes, one thread each.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 20 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.25"
$R train policy expert.zarr more.zarr $C --no-imagination --out runs/af-reason > runs/af-reason.log 2>&1 &
$R train policy ../expert.zarr ../more.zarr $C --no-imagination --out runs/orig-reason > runs/orig-reason.log 2>&1 &
wait
for r in af-reason orig-reason; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
