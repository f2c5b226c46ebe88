# The time of day in words (2026-12-06, tenth session): the act-first "both" recipe at 20 CPU
# minutes (docs/policy.md entry 10), side by side, one thread each, on the same 256 act-first
# teacher episodes re-collected with the time line in their text (same seeds, actions and
# frames; image tokens attached from the earlier stores). One run sees no text (as entry 10),
# the other the first 3 text tokens: "Time", ":", and the word (morning, day, evening, night).
cd /work/data/tod
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 20 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --text-tokens 0 --out runs/both-text0 > runs/both-text0.log 2>&1 &
$R train policy expert.zarr more.zarr $C --text-tokens 3 --out runs/both-time > runs/both-time.log 2>&1 &
wait
for r in both-text0 both-time; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
