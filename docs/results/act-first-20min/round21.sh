# Entry 10: each 60-minute row at the temperature the tuning seeds chose (round19/20.sh: both
# 0.5, bc 0.25; action only and +imagination 1.0, already played), on the evaluation seeds;
# self-consistency (--votes 4) for the reasoning policy on the tuning seeds; then the
# +reasoning row (round19.sh's 60-minute run): played, its temperature tuned, played at it.
cd /work/data/af
R=/work/main/.venv/bin/rig
E="--episodes 40 --max-steps 10000 --workers 1 --threads 1 --num-worlds 20"
$R eval --agent rig:runs/af-both-im01-60/final $E --seed 2000 --temperature 0.5 --no-imagine --json reports/af-both-im01-60-t0.5-h10000.json > reports/af-both-im01-60-t0.5-eval.log 2>&1
$R eval --agent bc:runs/bc-60/final $E --seed 2000 --temperature 0.25 --json reports/bc-60-t0.25-h10000.json > reports/bc-60-t0.25-eval.log 2>&1
for t in 1.0 0.5; do
  $R eval --agent rig:runs/af-both-im01-60/final $E --seed 5000 --temperature $t --votes 4 --no-imagine --json reports/af-both-im01-60-tune-t$t-votes4.json > reports/af-both-im01-60-tune-t$t-votes4.log 2>&1
done
while [ ! -e runs/reason-60/final/rig_policy.json ]; do sleep 10; done
E="--episodes 40 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10"
$R eval --agent rig:runs/reason-60/final $E --seed 2000 --no-imagine --json reports/reason-60-h10000.json > reports/reason-60-eval.log 2>&1
for t in 1.0 0.5 0.25; do
  $R eval --agent rig:runs/reason-60/final $E --seed 5000 --temperature $t --no-imagine --json reports/reason-60-tune-t$t.json > reports/reason-60-tune-t$t.log 2>&1
done
