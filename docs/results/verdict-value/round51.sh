# Issue 22: the two reviewers of round50.sh, their verdicts scored against real outcomes on
# validation seeds 3000-3019 (4 proposals, one step ahead), side by side, one worker each.
# (The closed-loop rows are round52.sh: which reviewer goes first was chosen from these.)
cd /work/data/ns
R=/work/main/.venv/bin/rig
for t in value label; do
  $R eval verdict --agent rig:v22/runs/$t/final --candidates 4 --lookahead 1 --seed 3000 --episodes 20 --workers 1 --threads 1 --json v22/reports/verdict-$t.json > v22/reports/verdict-$t.log 2>&1 &
done
wait
