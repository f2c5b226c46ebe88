# Issue 22: closed loop, evaluation seeds 2000-2039, horizon 10,000, one step ahead, 4 proposals:
# plain, the real-outcome oracle and judge-value. First the label-trained reviewer (round50.sh),
# whose verdicts read with the value rule took the most of the oracle's gain on the validation
# seeds (round51.sh); then the value-trained one.
cd /work/data/ns
R=/work/main/.venv/bin/rig
for t in label value; do
  $R eval scaling --agent rig:v22/runs/$t/final --modes real valued --lookahead 0 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v22/reports/scaling-$t > v22/reports/scaling-$t.log 2>&1
  echo done > v22/round52-$t.done
done
