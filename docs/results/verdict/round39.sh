# Issue 22: the reviewer without review words (runs/verdict-first, round38.sh) in closed loop,
# one step ahead, on evaluation seeds 2000-2039: plain, the real-outcome oracle and the judge,
# 4 proposals, horizon 10,000 (as round37.sh for runs/outcome).
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/verdict-first/final
$R eval scaling --agent rig:$P --modes real judged --lookahead 0 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-verdict-first > reports/scaling-verdict-first.log 2>&1
echo done-scaling
