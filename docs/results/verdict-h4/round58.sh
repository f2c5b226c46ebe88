# issue 22 (replaces round57's rest): each reviewer in closed loop under the pick rule that took
# the most of the oracle's gain on its validation records (round56): the label reviewer by the
# value rule (valued; round57 ran it), the value reviewer by the weighted rule (weighted);
# then the real-outcome oracle four steps ahead on the label reviewer's policy, its ceiling
cd /work/data/ns
R=/work/main/.venv/bin/rig
while pgrep -f "scaling --agent rig:v23/runs/label" > /dev/null; do sleep 10; done
$R eval scaling --agent rig:v23/runs/value/final --modes weighted --lookahead 0 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v23/reports/scaling-value > v23/reports/scaling-value.log 2>&1
echo done > v23/round58-value.done
$R eval scaling --agent rig:v23/runs/label/final --modes real --lookahead 0 4 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v23/reports/scaling-label > v23/reports/scaling-label-real.log 2>&1
echo done > v23/round58-label-real.done
