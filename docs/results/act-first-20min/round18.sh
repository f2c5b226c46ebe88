# Entry 10, the ablation at 60 minutes (first pair): action only and +imagination, with the
# same flags, data and budget as the 60-minute "both" run of round17.sh, side by side, one
# thread each. The wording does not matter to these two rows (neither trains on reasoning).
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --no-reasoning --no-imagination --out runs/actonly-60 > runs/actonly-60.log 2>&1 &
$R train policy expert.zarr more.zarr $C --no-reasoning --out runs/imagine-60 > runs/imagine-60.log 2>&1 &
wait
for r in actonly-60 imagine-60; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
