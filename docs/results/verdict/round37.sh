# Issue 22: the retrained reviewer (runs/outcome, round36.sh) one step ahead. First its verdicts
# alone on validation seeds 3000-3039 (the old reviewer's, at one step, were measured beside the
# training run: round36.sh's last line), then closed loop on evaluation seeds 2000-2039: plain,
# the real-outcome oracle and the judge, 4 proposals, one step ahead, horizon 10,000.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/outcome/final
$R eval verdict --agent rig:$P --candidates 4 --lookahead 1 --seed 3000 --episodes 40 --workers 2 --threads 1 --json reports/verdict-outcome-h1.json > reports/verdict-outcome-h1.log 2>&1
$R eval scaling --agent rig:$P --modes real judged --lookahead 0 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-outcome > reports/scaling-outcome.log 2>&1
echo done-scaling
