# Issue 22: a reviewer two steps ahead, its verdict before any word. The same fine-tune as
# round38.sh (runs/both, 40 CPU minutes, one thread) on the three-step review store
# (round40.sh), two imagined frames per review example (--review-steps 2): the depth at which
# the real-outcome oracle lifted this policy 1.40x (docs/lookahead.md, "One policy with both").
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr more.zarr review-outcome-h3.zarr --mix 0.2 0.6 0.2 --init-from runs/both/final --imagine-from-frame --imagine-rate 0.25 --lr 5e-4 --warmup 50 --max-minutes 40 --no-review-words --review-steps 2 $C --out runs/verdict-first-h2 > runs/verdict-first-h2.log 2>&1
echo done-train
