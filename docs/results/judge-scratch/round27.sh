# Issue 22: a policy on the restated-frame layout from the start (not a fine-tune of the shipped
# one), on all 256 act-first teacher episodes plus the review store of the shipped policy's own
# proposals (review4.zarr, docs/results/judge/round24.sh), imagined frames in half the teacher
# samples; the shipped recipe's other flags. One thread, 80 CPU minutes (the other core ran
# round28.sh meanwhile).
cd /work/data/af
R=/work/main/.venv/bin/rig
$R collect --out more.zarr --agent expert:player,act-first --episodes 192 --seed 64 --max-steps 1000 --workers 2 > collect-more.log 2>&1
$R data tokenize --data more.zarr --tokenizer crafter --device cpu --threads 2 > tok-more.log 2>&1
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr more.zarr review4.zarr --mix 0.15 0.45 0.4 --imagine-from-frame --imagine-rate 0.5 --lr 2e-3 --warmup 100 --max-minutes 80 $C --out runs/judge-scratch > runs/judge-scratch.log 2>&1
echo done-train
