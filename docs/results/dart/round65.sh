# round 65 (docs/policy.md entry 21): teacher-labelled noise injection (DART; issue 21 point 3).
# The act-first teacher plays the shipped recipe's seeds 0-255, but a fifth of its steps execute
# a random action instead (`--driver random --driver-rate 0.2`); the teacher labels every state,
# so its plan stays its own and the data show how it recovers from a wrong move. Then the
# shipped recipe and bc on these 256 episodes, 60 CPU minutes each, side by side, one thread
# each; then seeds 2000-2039 (40 episodes, horizon 10,000). Then ends.py (how the noisy
# teacher's episodes ended) and ../night/dusk.py on the tuning seeds 5000-5019.
cd /work/data/ns/v26
R=/work/main/.venv/bin/rig
[ -f dart.zarr/tokenized ] || { $R collect --out dart.zarr --agent expert:player,act-first --driver random --driver-rate 0.2 \
    --episodes 256 --seed 0 --max-steps 1000 --workers 2 &&
  $R data tokenize --data dart.zarr --tokenizer crafter --device cpu --threads 2 && touch dart.zarr/tokenized; }
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy dart.zarr $C --out runs/rig-dart-60 > runs/rig-dart-60.log 2>&1 &
$R train bc dart.zarr --out runs/bc-dart-60 --max-minutes 60 --steps 1000000 --device cpu --threads 1 > runs/bc-dart-60.log 2>&1 &
wait
$R eval --agent rig:runs/rig-dart-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/rig-dart-60-h10000.json > reports/rig-dart-60-eval.log 2>&1
$R eval --agent bc:runs/bc-dart-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-dart-60-h10000.json > reports/bc-dart-60-eval.log 2>&1
/work/main/.venv/bin/python /work/main/docs/results/dart/ends.py dart.zarr
for a in rig:runs/rig-dart-60/final bc:runs/bc-dart-60/final; do
  /work/main/.venv/bin/python /work/main/docs/results/night/dusk.py $a 20 5000
done
echo done
