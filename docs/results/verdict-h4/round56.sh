# issue 22: the two reviewers' verdicts on validation seeds 3000-3019: one imagined step, the
# real branches four steps (the policy continuing, as the oracle does), 4 proposals
cd /work/data/ns
R=/work/main/.venv/bin/rig
while [ ! -f v23/round55.done ]; do sleep 20; done
mkdir -p v23/reports
for target in label value; do
  $R eval verdict --agent rig:v23/runs/$target/final --candidates 4 --lookahead 1 --real-horizon 4 --episodes 20 --seed 3000 --workers 1 --threads 1 --json v23/reports/verdict-$target.json > v23/reports/verdict-$target.log 2>&1 &
done
wait
echo done > v23/round56.done
