# Issue 22: the two-stage policy (runs/both, round31.sh) measured as the earlier ones were: its
# imagined next frame against copying on 256 held-out transitions, then plain, the real-outcome
# oracle and both judges (weighted first) two steps ahead with 4 proposals on evaluation seeds 2000-2039
# (40 episodes, horizon 10,000). The judge-weighted rule was fixed before these seeds were played
# (round32.sh looked at it on validation seeds 3000-3019 only).
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/both/final
$R eval imagination --agent rig:$P --data heldout.zarr --transitions 256 --threads 2 --json reports/both-imagination.json > reports/both-imagination.log 2>&1
$R eval scaling --agent rig:$P --modes real weighted judged --lookahead 0 2 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-both > reports/scaling-both.log 2>&1
echo done-scaling
