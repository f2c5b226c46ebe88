# Entry 10's ablation at 60 minutes, second part, and issue 22's imagination from the restated
# frame. Core A: +reasoning (act-first, no imagined frames), 60 CPU minutes with the flags of
# round17.sh. Core B, one process at a time beside it: each 60-minute policy's sampling
# temperature on the tuning seeds 5000-5039 (never the evaluation seeds), then two 20-minute
# runs of the shipped recipe with imagined frames in half the batches, without and with
# --imagine-from-frame (each beside the 60-minute run, so both share the machine alike).
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1"
$R train policy expert.zarr more.zarr $C --max-minutes 60 --imagine-rate 0.1 --no-imagination --out runs/reason-60 > runs/reason-60.log 2>&1 &
E="--episodes 40 --max-steps 10000 --workers 1 --threads 1 --num-worlds 20"
for t in 1.0 0.5; do
  for r in af-both-im01-60 actonly-60 imagine-60; do
    $R eval --agent rig:runs/$r/final $E --seed 5000 --temperature $t --no-imagine --json reports/$r-tune-t$t.json > reports/$r-tune-t$t.log 2>&1
  done
  $R eval --agent bc:runs/bc-60/final $E --seed 5000 --temperature $t --json reports/bc-60-tune-t$t.json > reports/bc-60-tune-t$t.log 2>&1
done
$R train policy expert.zarr more.zarr $C --max-minutes 20 --imagine-rate 0.5 --out runs/im05-20 > runs/im05-20.log 2>&1
$R train policy expert.zarr more.zarr $C --max-minutes 20 --imagine-rate 0.5 --imagine-from-frame --out runs/im05-from-frame-20 > runs/im05-from-frame-20.log 2>&1
wait
