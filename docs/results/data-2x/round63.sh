# round 63 (docs/policy.md entry 20): twice the teacher episodes (512: seeds 0-511) at the
# shipped recipe's 60 CPU minutes, beside bc on the same episodes and minutes, side by side, one
# thread each; then seeds 2000-2039.
# ../expert.zarr and ../more.zarr are the shipped recipe's 256 act-first episodes (seeds 0-255,
# tokenized: pretrained/crafter-policy/RECIPE.md); more2.zarr the next 256 (2 + 24 minutes).
cd /work/data/ns/v25
R=/work/main/.venv/bin/rig
[ -d more2.zarr ] || { $R collect --out more2.zarr --agent expert:player,act-first --episodes 256 --seed 256 --max-steps 1000 --workers 2 &&
  $R data tokenize --data more2.zarr --tokenizer crafter --device cpu --threads 2; }
D="../expert.zarr ../more.zarr more2.zarr"
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy $D $C --out runs/rig-512-60 > runs/rig-512-60.log 2>&1 &
$R train bc $D --out runs/bc-512-60 --max-minutes 60 --steps 1000000 --device cpu --threads 1 > runs/bc-512-60.log 2>&1 &
wait
$R eval --agent rig:runs/rig-512-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/rig-512-60-h10000.json > reports/rig-512-60-eval.log 2>&1
$R eval --agent bc:runs/bc-512-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-512-60-h10000.json > reports/bc-512-60-eval.log 2>&1
echo done
