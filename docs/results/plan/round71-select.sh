# the follow modes on the selection seeds 100000-100039 (never the evaluation seeds)
cd /work/data/ns/v28
R=/work/main/.venv/bin/rig
for r in rig-dart-plan4 rig-dart-plan8; do
  for m in vote commit first; do
    $R eval --agent rig:runs/$r/final --episodes 40 --seed 100000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --follow-plan $m --json reports/select-$r-$m.json > reports/select-$r-$m.log 2>&1
  done
done
echo selected
