# round 46 (docs/policy.md entry 15): DAgger on the student's own states. The shipped rig:crafter
# drives every step (--driver-rate 1.0) of 128 episodes (seeds 300-427), expert:player,act-first
# labels every state it reaches; then the shipped recipe and bc, side by side, one thread each,
# 60 CPU minutes, on the 256 act-first teacher episodes plus these 128; the same 40 held-out seeds.
# (Before it: the 256 teacher episodes as in pretrained/crafter-policy/RECIPE.md, tokenized.)
set -e
cd /work/data/ns
R=/work/main/.venv/bin/rig
$R collect --out dagger.zarr --agent expert:player,act-first --driver rig:crafter --driver-rate 1.0 \
    --episodes 128 --seed 300 --max-steps 1000 --workers 2 --num-worlds 8 --threads 1
$R data tokenize --data dagger.zarr --tokenizer crafter --device cpu --threads 2
mkdir -p runs reports
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 60 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr dagger.zarr $C --out runs/both-dagger-60 > runs/both-dagger-60.log 2>&1 &
$R train bc expert.zarr more.zarr dagger.zarr --out runs/bc-dagger-60 --max-minutes 60 --steps 1000000 --device cpu --threads 1 > runs/bc-dagger-60.log 2>&1 &
wait
$R eval --agent rig:runs/both-dagger-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/both-dagger-60-h10000.json > reports/both-dagger-60-eval.log 2>&1
$R eval --agent bc:runs/bc-dagger-60/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-dagger-60-h10000.json > reports/bc-dagger-60-eval.log 2>&1
# the dusk table (tuning seeds 5000-5019): dusk-*.txt beside this script
for A in expert:player rig:crafter rig:runs/both-dagger-60/final bc:runs/bc-dagger-60/final; do
    /work/main/.venv/bin/python /work/main/docs/results/night/dusk.py $A 20 5000
done
