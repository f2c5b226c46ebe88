# the control on the same selection seeds: entry 22's micro run (the same recipe and store, no plan)
cd /work/data/ns/v28
R=/work/main/.venv/bin/rig
$R eval --agent rig:/work/data/ns/v26/runs/rig-dart-micro-60b/final --episodes 40 --seed 100000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/select-rig-dart-micro-60b.json > reports/select-rig-dart-micro-60b.log 2>&1
echo control
# the selection's winner (plan 4, --follow-plan first) on the evaluation seeds
$R eval --agent rig:runs/rig-dart-plan4/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --follow-plan first --json reports/rig-dart-plan4-first-h10000.json > reports/rig-dart-plan4-first-h10000.log 2>&1
echo evaluated
