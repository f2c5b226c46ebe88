# issue 22, what the fifteenth session left: the three-step label reviewer's closed loop under
# its validation-chosen rule (chosen-rules3.txt: valued, default margin) and its reading of real
# against imagined frames on the validation seeds, side by side.
cd /work/data/ns
R=/work/main/.venv/bin/rig
$R eval verdict --agent rig:v24/runs3/label/final --candidates 4 --lookahead 3 --episodes 20 --seed 3000 --workers 1 --threads 1 --real-frames --json v24/reports/verdict3-label-real.json > v24/reports/verdict3-label-real.log 2>&1 &
$R eval scaling --agent rig:v24/runs3/label/final --modes valued --lookahead 0 3 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 1 --threads 1 --num-worlds 10 --out v24/reports/scaling3-label > v24/reports/scaling3-label.log 2>&1 < /dev/null &
wait
echo done > v24/round64.done
