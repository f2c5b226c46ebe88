# Issue 22: the verdict read before any review word. round36.sh's reviewer wrote its reasons
# first and its verdict last, so P(accept) was read after sampled words and came out all but
# binary (a quarter below 1e-5, the median 0.9999): the words decided it. The same fine-tune
# (runs/both, the same stores, mix, lr and 40 CPU minutes) with --no-review-words: the verdict
# straight after the imagined outcome. Then its verdicts alone on validation seeds 3000-3039.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr more.zarr review-outcome.zarr --mix 0.2 0.6 0.2 --init-from runs/both/final --imagine-from-frame --imagine-rate 0.25 --lr 5e-4 --warmup 50 --max-minutes 40 --no-review-words $C --out runs/verdict-first > runs/verdict-first.log 2>&1
echo done-train
$R eval verdict --agent rig:runs/verdict-first/final --candidates 4 --lookahead 1 --seed 3000 --episodes 40 --workers 2 --threads 1 --json reports/verdict-first-h1.json > reports/verdict-first-h1.log 2>&1
echo done-verdict
