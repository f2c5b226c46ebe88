# Entry 10, the ablation at 60 minutes (second part): +reasoning (act-first, no imagined frames)
# on one core, 60 CPU minutes with the flags of round17.sh; on the other core, one worker at a
# time, each 60-minute policy's sampling temperature chosen on the tuning seeds 5000-5039
# (never the evaluation seeds), then the chosen temperature played on seeds 2000-2039.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --no-imagination --out runs/reason-60 > runs/reason-60.log 2>&1 &
E="--episodes 40 --max-steps 10000 --workers 1 --threads 1 --num-worlds 20"
for t in 1.0 0.5; do
  for r in af-both-im01-60 actonly-60 imagine-60; do
    $R eval --agent rig:runs/$r/final $E --seed 5000 --temperature $t --no-imagine --json reports/$r-tune-t$t.json > reports/$r-tune-t$t.log 2>&1
  done
  $R eval --agent bc:runs/bc-60/final $E --seed 5000 --temperature $t --json reports/bc-60-tune-t$t.json > reports/bc-60-tune-t$t.log 2>&1
done
wait
