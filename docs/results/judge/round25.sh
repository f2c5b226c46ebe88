# Issue 22: the decomposition for runs/judge-ft (round24.sh), seeds 2000-2039, 40 episodes,
# horizon 10,000: (a) plain; (c) RIG-lookahead (review, then a written correction); (c') the
# judge: the same 4 proposals as the oracle, judged by the policy's own review of each imagined
# outcome; (b) the oracle (real outcome); and the imagined frame against copying.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/judge-ft/final
$R eval scaling --agent rig:$P --modes imagined judged real --lookahead 0 1 --candidates 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --out reports/scaling-judge > reports/scaling-judge.log 2>&1
$R eval imagination --agent rig:$P --data heldout.zarr --transitions 256 --json reports/judge-ft-imagination.json > reports/judge-ft-imagination.log 2>&1
echo done-eval
