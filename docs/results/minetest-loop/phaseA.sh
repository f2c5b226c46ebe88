source /work/main/.venv/bin/activate
while pgrep -f "bash collect.sh" > /dev/null; do sleep 5; done
# the tokenizer on one core (the held-out seeds 1000-1003 validate it)
nohup rig train tokenizer --data mt.zarr --out tok --steps 100000 --batch-size 32 --channels 16 32 64 64 --norm-groups 16 --codebook-size 512 --val-every 250 --val-frames 512 --checkpoint-every 100 --threads 1 --device cpu --holdout-seed 1000 --time-limit 40 > tok.log 2>&1 &
set -x
time rig collect --out mt.zarr --world rig/Minetest-v0 --agent expert --episodes 16 --seed 48 --max-steps 300 --workers 1
cd /work/data/mt2
for t in $(python -c "from rig.worlds.miniwob_tasks import MINIWOB_SUITE; print(*MINIWOB_SUITE)"); do
  rig collect --out miniwob.zarr --world rig/MiniWoB-$t-v0 --agent expert --episodes 12 --seed 0 --workers 1
  rig collect --out miniwob.zarr --world rig/MiniWoB-$t-v0 --agent expert --episodes 2 --seed 1000 --workers 1
done > miniwob-collect.log 2>&1
time rig eval --world rig/Minetest-v0 --agent random --episodes 40 --seed 2000 --max-steps 300 --workers 1 --json anchor-random-h300.json > anchor-random.log 2>&1
time rig eval --world rig/Minetest-v0 --agent expert --episodes 40 --seed 2000 --max-steps 300 --workers 1 --json anchor-expert-h300.json > anchor-expert.log 2>&1
