# issue 22, fourteenth session: review data on the student's own states (the shipped policy
# driving every step of dagger.zarr, seeds 300-427), each candidate's branch continued four
# steps by the same policy from one sampling seed per state: the real-outcome oracle's question
cd /work/data/ns
R=/work/main/.venv/bin/rig
$R data review --data dagger.zarr --out v23/review-h4.zarr --episodes 128 --samples-per-episode 25 --horizon 4 --poor-actions 1 --policy rig:/work/main/pretrained/crafter-policy --policy-samples 4 --continue-with policy --verdict-by outcome --expert expert:player,act-first --workers 2 --threads 1 > v23/review.log 2>&1
$R data tokenize --data v23/review-h4.zarr --tokenizer crafter --device cpu --threads 2 > v23/tok-review.log 2>&1
echo done > v23/round54.done
