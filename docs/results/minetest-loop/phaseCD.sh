source /work/main/.venv/bin/activate
cd /work/data/mt2
while pgrep -f "rig train tokenizer" > /dev/null || pgrep -f "MiniWoB" > /dev/null; do sleep 10; done
set -x
date
rig eval tokenizer --tokenizer tok --data mt.zarr --holdout-seed 1000 --json tok-eval.json --png tok-grid.png --device cpu > tok-eval.log 2>&1
rig data tokenize --data mt.zarr --tokenizer tok --threads 1 --device cpu > tokenize-mt.log 2>&1
rig data tokenize --data miniwob.zarr --tokenizer miniwob-screen --threads 2 --device cpu > tokenize-miniwob.log 2>&1
date
C="--image-input cnn --eye-tokens 2 --preset micro --context-steps 1 --history-actions 0 --no-reasoning --imagine-rate 0.25 --text-tokens 64 --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 25 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1"
rig train policy mt.zarr --out runs/rig-mt $C > train-rig-mt.log 2>&1 &
rig train bc mt.zarr --out runs/bc-mt --text --max-minutes 25 --steps 100000 --device cpu --threads 1 > train-bc-mt.log 2>&1 &
rig train policy /work/data/expert.zarr miniwob.zarr mt.zarr --mix 0.4 0.2 0.4 --out runs/gen3 $C > train-gen3.log 2>&1 &
wait
date
E="--world rig/Minetest-v0 --episodes 40 --seed 2000 --max-steps 300 --workers 1 --threads 1"
rig eval $E --agent rig:runs/rig-mt/final --no-imagine --json eval-rig-mt-h300.json > eval-rig-mt.log 2>&1 &
rig eval $E --agent bc:runs/bc-mt/final --json eval-bc-mt-h300.json > eval-bc-mt.log 2>&1 &
rig eval $E --agent rig:runs/gen3/final --no-imagine --json eval-gen3-mt-h300.json > eval-gen3-mt.log 2>&1 &
wait
date
rig eval --world rig/Crafter-v0 --agent rig:runs/gen3/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --threads 1 --json eval-gen3-crafter-h10000.json > eval-gen3-crafter.log 2>&1
rig eval miniwob --agents expert random rig:runs/gen3/final --episodes 10 --seed 2000 --no-imagine --json eval-gen3-miniwob.json > eval-gen3-miniwob.log 2>&1
date
