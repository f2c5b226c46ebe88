# round 13: DAgger data (64 episodes, seeds 300-363: the shipped rig:crafter drives half the steps, expert:player labels every state) added to the 256 teacher episodes
R=/work/main/.venv/bin/rig
C="expert.zarr more.zarr dagger.zarr --image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 20 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1 --history-actions 0 --context-steps 1"
$R train policy $C --out runs/rig5x-dagger-c1h0-actonly --no-reasoning --no-imagination > runs/rig5x-dagger-c1h0-actonly.log 2>&1 &
$R train bc expert.zarr more.zarr dagger.zarr --out runs/bc5x-dagger --max-minutes 20 --steps 100000 --device cpu --threads 1 > runs/bc5x-dagger.log 2>&1 &
wait
$R eval --agent rig:runs/rig5x-dagger-c1h0-actonly/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/rig5x-dagger-c1h0-actonly-h10000.json > reports/rig5x-dagger-c1h0-actonly-eval.log 2>&1
$R eval --agent bc:runs/bc5x-dagger/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc5x-dagger-h10000.json > reports/bc5x-dagger-eval.log 2>&1
