# Issue 22: the decomposition for the review-trained policy (runs/review-ft, round22.sh), seeds
# 2000-2039, 40 episodes, horizon 10,000: (a) plain, (c) RIG-lookahead on the imagined outcome,
# (b) the same proposals judged on the real outcome (the oracle), and the imagined frame.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/review-ft/final
$R eval imagination --agent rig:$P --data heldout.zarr --transitions 256 --json reports/review-ft-imagination.json > reports/review-ft-imagination.log 2>&1
$R eval scaling --agent rig:$P --modes real imagined --lookahead 0 1 --candidates 2 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --out reports/scaling-review-ft > reports/scaling-review-ft.log 2>&1
echo done-eval
