# Entry 10, the longer run: the pair-2 winner (reasoning + action + imagined frames in a tenth
# of the batches, act-first wording) beside bc on the same 256 episodes, 60 CPU minutes each,
# side by side, one thread each.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --out runs/af-both-im01-60 > runs/af-both-im01-60.log 2>&1 &
$R train bc expert.zarr more.zarr --out runs/bc-60 --max-minutes 60 --steps 1000000 --device cpu --threads 1 > runs/bc-60.log 2>&1 &
wait
$R eval --agent rig:runs/af-both-im01-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/af-both-im01-60-h10000.json > reports/af-both-im01-60-eval.log 2>&1
$R eval --agent bc:runs/bc-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-60-h10000.json > reports/bc-60-eval.log 2>&1
