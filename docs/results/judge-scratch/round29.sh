# Issue 22: the decomposition for runs/judge-scratch (round27.sh), seeds 2000-2039, 40 episodes,
# horizon 10,000: (a) plain (--no-imagine); (c') the judge: 4 proposals judged by the policy's
# own review of each imagined outcome; (b) the oracle: the same proposals judged on the real
# outcome; then its imagined next frame against copying the current one.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/judge-scratch/final
$R eval imagination --agent rig:$P --data heldout.zarr --transitions 256 --threads 2 --json reports/judge-scratch-imagination.json > reports/judge-scratch-imagination.log 2>&1
$R eval scaling --agent rig:$P --modes judged real --lookahead 0 1 --candidates 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-judge-scratch > reports/scaling-judge-scratch.log 2>&1
echo done-eval
