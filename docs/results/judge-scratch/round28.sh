# Issue 22: the judge and the real-outcome oracle at one step with 8 proposals instead of 4, on
# the policy of docs/results/judge/round24.sh (runs/judge-ft), same seeds and horizon, into the
# same record (the settings already measured are skipped, so the table and plots hold 4 and 8).
# One worker: a training (round27.sh) held the other core.
cd /work/data/af
R=/work/main/.venv/bin/rig
$R eval scaling --agent rig:runs/judge-ft/final --modes judged real --lookahead 0 1 --candidates 4 8 --episodes 40 --seed 2000 --max-steps 10000 --workers 1 --threads 1 --num-worlds 10 --out reports/scaling-judge > reports/scaling-judge-n8.log 2>&1
echo done-n8
