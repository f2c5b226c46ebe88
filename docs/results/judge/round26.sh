# Issue 22: the judge two steps ahead on the same policy and seeds (adds a row to scaling.json)
cd /work/data/af
R=/work/main/.venv/bin/rig
$R eval scaling --agent rig:runs/judge-ft/final --modes judged --lookahead 2 --candidates 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --out reports/scaling-judge > reports/scaling-judge-h2.log 2>&1
