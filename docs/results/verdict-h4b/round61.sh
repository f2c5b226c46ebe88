# issue 22: round60's two reviewers, as round56-58: verdicts on validation seeds 3000-3019 (one
# imagined step, real branches four steps, 4 proposals), then each in closed loop on seeds
# 2000-2039 (horizon 10,000) under the pick rule (and, for the value rule, the margin) that
# took the most of the oracle's gain on its validation records, chosen by the script below,
# never on the evaluation seeds
cd /work/data/ns
R=/work/main/.venv/bin/rig
while [ ! -f v24/round60.done ]; do sleep 20; done
mkdir -p v24/reports
for target in label value; do
  [ -f v24/reports/verdict-$target.json ] || $R eval verdict --agent rig:v24/runs/$target/final --candidates 4 --lookahead 1 --real-horizon 4 --episodes 20 --seed 3000 --workers 1 --threads 1 --json v24/reports/verdict-$target.json > v24/reports/verdict-$target.log 2>&1 &
done
wait
for target in label value; do
  args=$(python3 -c "
import json
rules = json.load(open('v24/reports/verdict-$target.json'))['summary']['rules']
options = {'judge': '--modes judged', 'weighted': '--modes weighted', 'value': '--modes valued',
           'value, margin 0': '--modes valued --judge-margin 0',
           'value, margin 0.02': '--modes valued --judge-margin 0.02',
           'value, margin 0.1': '--modes valued --judge-margin 0.1'}
print(options[max(options, key=lambda r: rules[r]['oracle_gain_captured'])])")
  echo "$target: $args" >> v24/reports/chosen-rules.txt
  $R eval scaling --agent rig:v24/runs/$target/final $args --lookahead 0 1 --candidates 4 --seed 2000 --episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --out v24/reports/scaling-$target > v24/reports/scaling-$target.log 2>&1
done
echo done > v24/round61.done
