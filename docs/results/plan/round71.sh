# round 71 (docs/policy.md entry 23): a plan in the token stream. The shipped micro recipe on the
# DART store (entry 21; the same as entry 22's micro run), with each step's <act> also holding
# the teacher's next P actions (--plan-actions), P = 4 and 8, 60 CPU minutes each, side by side,
# one thread each. Then the follow modes on the selection seeds 100000-100039, and the chosen
# mode on seeds 2000-2039 (40 episodes, horizon 10,000).
cd /work/data/ns/v28
R=/work/main/.venv/bin/rig
D=/work/data/ns/v26/dart.zarr
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --batch-size 32 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1 --preset micro --lr 2e-3"
$R train policy $D $C --plan-actions 4 --out runs/rig-dart-plan4 > runs/rig-dart-plan4.log 2>&1 &
$R train policy $D $C --plan-actions 8 --out runs/rig-dart-plan8 > runs/rig-dart-plan8.log 2>&1 &
wait
echo trained
