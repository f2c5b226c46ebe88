source /work/main/.venv/bin/activate
cd /work/data/mt2
set -x
date
rig train bc mt.zarr --out runs/bc-mt-h0 --text --history-actions 0 --max-minutes 25 --steps 7654 --device cpu --threads 1 > train-bc-mt-h0.log 2>&1
date
rig eval --world rig/Minetest-v0 --episodes 40 --seed 2000 --max-steps 300 --workers 2 --threads 1 --agent bc:runs/bc-mt-h0/final --json eval-bc-mt-h0-h300.json > eval-bc-mt-h0.log 2>&1
date
