# Issue 22: the weighted judge (each proposal's P(accept) x its share of the 4 samples), the
# pick rule that took the most of the oracle's gain among the shipped rules on the validation
# seeds 3000-3039 (round38.sh: 14%; the plain judge 2%), in closed loop beside round39.sh's rows.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/verdict-first/final
$R eval scaling --agent rig:$P --modes weighted --lookahead 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-verdict-first > reports/scaling-verdict-first-weighted.log 2>&1
echo done-weighted
