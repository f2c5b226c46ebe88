# Issue 22: the reviewer retrained on the oracle's question. runs/both (stage 2) fine-tuned for 40
# CPU minutes on the teacher stores (80% of the batches, by size) and review-outcome.zarr (20%:
# this policy's own proposals at teacher states, the expert's step and 3 drawn actions, each
# tried for 2 steps and revised exactly when another candidate of the state earned more reward,
# -1 for a death; round35.sh). Imagined frames kept in a quarter of the teacher samples, as in
# stage 2; lr 5e-4, one thread. One imagined frame per review example (--review-steps 1): the
# store's 2-step branches hold one outcome frame, the judge looks one step ahead.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr more.zarr review-outcome.zarr --mix 0.2 0.6 0.2 --init-from runs/both/final --imagine-from-frame --imagine-rate 0.25 --lr 5e-4 --warmup 50 --max-minutes 40 $C --out runs/outcome > runs/outcome.log 2>&1
echo done-train
# beside the training run (one worker): the old reviewer at one step, for round37.sh
$R eval verdict --agent rig:runs/both/final --candidates 4 --lookahead 1 --seed 3000 --episodes 40 --workers 1 --threads 1 --json reports/verdict-both-h1.json > reports/verdict-both-h1.log 2>&1
