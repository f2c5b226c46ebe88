# Issue 22: how much a deeper judge could win on the label reviewer's policy: the real-outcome
# oracle 4 and 8 steps ahead, 4 proposals, the same seeds (rig eval scaling resumes its report,
# adding these settings beside round52.sh's).
cd /work/data/ns
R=/work/main/.venv/bin/rig
$R eval scaling --agent rig:v22/runs/label/final --modes real --lookahead 0 4 8 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v22/reports/scaling-label > v22/reports/scaling-label-deep.log 2>&1
echo done > v22/round53.done
