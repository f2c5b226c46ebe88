# round 14: the long run (issue 21 point 3): the shipped recipe (+imagination at 0.25, no reasoning) and bc, 100 CPU minutes each side by side, on all 320 teacher/DAgger episodes
R=/work/main/.venv/bin/rig
C="expert.zarr more.zarr dagger.zarr --image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 100 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1"
$R train policy $C --out runs/rig-long100-im25 --no-reasoning --imagine-rate 0.25 > runs/rig-long100-im25.log 2>&1 &
$R train bc expert.zarr more.zarr dagger.zarr --out runs/bc-long100 --max-minutes 100 --steps 1000000 --device cpu --threads 1 > runs/bc-long100.log 2>&1 &
wait
$R eval --agent rig:runs/rig-long100-im25/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/rig-long100-im25-h10000.json > reports/rig-long100-im25-eval.log 2>&1
$R eval --agent bc:runs/bc-long100/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-long100-h10000.json > reports/bc-long100-eval.log 2>&1
