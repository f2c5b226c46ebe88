# Issue 22: a value head for the reviewer. Review data that records each candidate's real
# outcome (reward over 2 steps, -1 for a death) from the shipped policy's own proposals at teacher
# states (more.zarr, act-first), plus the expert's step and 3 drawn actions; tokenized for training.
cd /work/data/ns
R=/work/main/.venv/bin/rig
$R data review --data more.zarr --out v22/review.zarr --episodes 128 --samples-per-episode 25 --horizon 2 --poor-actions 3 --policy rig:pretrained/crafter-policy --policy-samples 4 --verdict-by outcome --workers 2 > v22/review.log 2>&1
$R data tokenize --data v22/review.zarr --tokenizer crafter --device cpu --threads 2 > v22/tok-review.log 2>&1
echo done > v22/round49.done
