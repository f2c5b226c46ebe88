# issue 22, for the next session: three times the four-step review data. 256 more episodes of
# the shipped policy driving every step (seeds 428-683, the teacher labelling), then the same
# review as round54 on them. Both commands resume where a killed run stopped.
cd /work/data/ns
R=/work/main/.venv/bin/rig
$R collect --out v23/student.zarr --agent expert:player,act-first --driver rig:/work/main/pretrained/crafter-policy --driver-rate 1 --episodes 256 --seed 428 --max-steps 1000 --workers 2 --threads 1 > v23/collect-student.log 2>&1
$R data review --data v23/student.zarr --out v23/review-h4b.zarr --samples-per-episode 25 --horizon 4 --poor-actions 1 --policy rig:/work/main/pretrained/crafter-policy --policy-samples 4 --continue-with policy --verdict-by outcome --expert expert:player,act-first --workers 2 --threads 1 > v23/review-b.log 2>&1
$R data tokenize --data v23/review-h4b.zarr --tokenizer crafter --device cpu --threads 2 > v23/tok-review-b.log 2>&1
echo done > v23/round59.done
