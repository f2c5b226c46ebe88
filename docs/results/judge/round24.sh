# Issue 22: a review-trained policy whose reviewer saw the proposals it will judge at test time
# (the shipped policy's own samples, 4 a state, each with its reasoning), on the restated-frame
# layout; then the decomposition with the judge of best-of-N on the imagined outcome
# (`--modes judged`) beside RIG-lookahead's corrections and the real-outcome oracle.
cd /work/data/af
R=/work/main/.venv/bin/rig
$R data review --data expert.zarr --out review4.zarr --every 10 --horizon 4 --poor-actions 1 --policy rig:crafter --policy-samples 4 --workers 2 > review4.log 2>&1
$R data tokenize --data review4.zarr --tokenizer crafter --device cpu --threads 2 > tok-review4.log 2>&1
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr review4.zarr --mix 0.6 0.4 --init-from /work/main/pretrained/crafter-policy --imagine-from-frame --imagine-rate 0.5 --lr 1e-3 --warmup 50 --max-minutes 60 $C --out runs/judge-ft > runs/judge-ft.log 2>&1
echo done-train
