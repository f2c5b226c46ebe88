# The long run of the pair's winner by point estimate (round44: the time word 11.63% against
# 9.59% without text, intervals overlapping): the act-first "both" recipe of docs/policy.md
# entry 10 at 60 CPU minutes, reading the time word (--text-tokens 3), beside bc reading the
# text (--text: its numbers and, as flags, its number-free lines, the time among them), side
# by side, one thread each, on the same 256 act-first episodes with the time line.
cd /work/data/tod
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --text-tokens 3 --out runs/both-time-60 > runs/both-time-60.log 2>&1 &
$R train bc expert.zarr more.zarr --text --out runs/bc-text-60 --max-minutes 60 --steps 1000000 --device cpu --threads 1 > runs/bc-text-60.log 2>&1 &
wait
$R eval --agent rig:runs/both-time-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/both-time-60-h10000.json > reports/both-time-60-eval.log 2>&1
$R eval --agent bc:runs/bc-text-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-text-60-h10000.json > reports/bc-text-60-eval.log 2>&1
