source /work/main/.venv/bin/activate
set -x
time rig collect --out mt.zarr --world rig/Minetest-v0 --agent expert --episodes 48 --seed 0 --max-steps 300 --workers 2
time rig collect --out mt.zarr --world rig/Minetest-v0 --agent expert --episodes 4 --seed 1000 --max-steps 300 --workers 2
