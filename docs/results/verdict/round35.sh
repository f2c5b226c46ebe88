# Issue 22: the verdict alone. The two-stage policy (runs/both, docs/results/both/round31.sh) is
# played on validation seeds 3000-3039; wherever its 4 proposals differ, each is judged on its
# imagined outcome two steps ahead and tried in a branch of the real world (rig eval verdict).
# Then review data that asks the oracle's question (--verdict-by outcome, two steps, this
# policy's own proposals), tokenized for training.
cd /work/data/af
R=/work/main/.venv/bin/rig
$R eval verdict --agent rig:runs/both/final --candidates 4 --lookahead 2 --seed 3000 --episodes 40 --workers 2 --threads 1 --json reports/verdict-both.json > reports/verdict-both.log 2>&1
$R data review --data more.zarr --out review-outcome.zarr --episodes 96 --samples-per-episode 25 --horizon 2 --poor-actions 3 --policy rig:runs/both/final --policy-samples 4 --verdict-by outcome --workers 2 > review-outcome.log 2>&1
$R data tokenize --data review-outcome.zarr --tokenizer crafter --device cpu --threads 2 > tok-review-outcome.log 2>&1
