# issue 22: closed loop on the evaluation seeds 2000-2039, horizon 10,000: each reviewer
# plain (lookahead 0) and judged by its verdict one imagined step ahead (the value rule),
# 4 proposals; then the real-outcome oracle four steps ahead on each, its ceiling
cd /work/data/ns
R=/work/main/.venv/bin/rig
while [ ! -f v23/round56.done ]; do sleep 20; done
for t in label value; do
  $R eval scaling --agent rig:v23/runs/$t/final --modes valued --lookahead 0 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v23/reports/scaling-$t > v23/reports/scaling-$t.log 2>&1
  echo done > v23/round57-$t.done
done
for t in label value; do
  $R eval scaling --agent rig:v23/runs/$t/final --modes real --lookahead 0 4 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v23/reports/scaling-$t > v23/reports/scaling-$t-real.log 2>&1
  echo done > v23/round57-$t-real.done
done
