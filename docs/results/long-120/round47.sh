# round 47 (docs/policy.md entry 16): the shipped recipe and bc given twice the minutes. The same
# 256 act-first teacher episodes as pretrained/crafter-policy/RECIPE.md (tokenized), 120 CPU
# minutes each, side by side, one thread each; the cosine schedule runs over the whole budget
# (it is timed: train/train_policy.py), so this is a longer run, not a resumed one. Then the same
# 40 held-out seeds and horizon as every row of entry 10, and the dusk table on the tuning seeds.
set -e
cd /work/data/ns
R=/work/main/.venv/bin/rig
mkdir -p runs reports
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 1000000 --max-minutes 120 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --out runs/both-120 > runs/both-120.log 2>&1 &
$R train bc expert.zarr more.zarr --out runs/bc-120 --max-minutes 120 --steps 1000000 --device cpu --threads 1 > runs/bc-120.log 2>&1 &
wait
$R eval --agent rig:runs/both-120/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/both-120-h10000.json > reports/both-120-eval.log 2>&1
$R eval --agent bc:runs/bc-120/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --json reports/bc-120-h10000.json > reports/bc-120-eval.log 2>&1
# the dusk table (tuning seeds 5000-5019): dusk-*.txt beside this script
for A in rig:runs/both-120/final bc:runs/bc-120/final; do
    /work/main/.venv/bin/python /work/main/docs/results/night/dusk.py $A 20 5000
done
