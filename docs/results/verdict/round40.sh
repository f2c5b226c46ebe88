# Issue 22: more review data, three steps per branch (so a reviewer can be trained on two
# imagined frames, --review-steps 2, or on one): round35.sh's settings on other states of the
# same 96 episodes (--seed 1), one worker beside a training run, then tokenized.
cd /work/data/af
R=/work/main/.venv/bin/rig
$R data review --data more.zarr --out review-outcome-h3.zarr --episodes 96 --samples-per-episode 25 --horizon 3 --poor-actions 3 --policy rig:runs/both/final --policy-samples 4 --verdict-by outcome --seed 1 --workers 1 --threads 1 > review-outcome-h3.log 2>&1
$R data tokenize --data review-outcome-h3.zarr --tokenizer crafter --device cpu --threads 1 > tok-review-outcome-h3.log 2>&1
echo done-h3
