# round 70 (docs/policy.md entry 22): is the plateau near 20% the model's size? Entries 16 and
# 20 found neither twice the minutes nor twice the teacher episodes lift the `micro` recipe
# (hidden 128, 2 layers), which points at capacity. Here `tiny` (hidden 256, 4 layers, ~4x the
# cost of a token) against `micro`, identical otherwise, on the DART store of entry 21 (the one
# tokenized store left on this machine), 60 CPU minutes each, side by side, one thread each;
# then seeds 2000-2039 (40 episodes, horizon 10,000). bc on the same store: entry 21.
cd /work/data/ns/v26
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --batch-size 32 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy dart.zarr $C --preset tiny --lr 1.5e-3 --out runs/rig-dart-tiny-60 > runs/rig-dart-tiny-60.log 2>&1 &
$R train policy dart.zarr $C --preset micro --lr 2e-3 --out runs/rig-dart-micro-60b > runs/rig-dart-micro-60b.log 2>&1 &
wait
for r in rig-dart-tiny-60 rig-dart-micro-60b; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
echo done
