# Issue 22: two steps ahead on runs/judge-scratch (its imagined frames are the first to beat
# copying): the real-outcome ceiling first, then the judge; same seeds, horizon and record.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/judge-scratch/final
$R eval scaling --agent rig:$P --modes real --lookahead 0 1 2 --candidates 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-judge-scratch > reports/scaling-judge-scratch-h2-real.log 2>&1
$R eval scaling --agent rig:$P --modes judged real --lookahead 0 1 2 --candidates 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out reports/scaling-judge-scratch > reports/scaling-judge-scratch-h2.log 2>&1
echo done-h2
