# Entry 10: the sampling temperature of each 60-minute row, on the tuning seeds 5000-5039 (one
# grid for every row: 1.0, 0.5, 0.25; round19.sh ran the first two), then the row's best
# temperature on the evaluation seeds 2000-2039 (1.0 is already there: round17/18.sh); and the
# imagination of the two 20-minute runs of round19.sh on the held-out act-first episodes.
cd /work/data/af
R=/work/main/.venv/bin/rig
E="--episodes 40 --max-steps 10000 --workers 1 --threads 1 --num-worlds 20"
for r in af-both-im01-60 actonly-60 imagine-60; do
  $R eval --agent rig:runs/$r/final $E --seed 5000 --temperature 0.25 --no-imagine --json reports/$r-tune-t0.25.json > reports/$r-tune-t0.25.log 2>&1
done
$R eval --agent bc:runs/bc-60/final $E --seed 5000 --temperature 0.25 --json reports/bc-60-tune-t0.25.json > reports/bc-60-tune-t0.25.log 2>&1
for r in im05-20 im05-from-frame-20 af-both-im01-60; do
  $R eval imagination --agent rig:runs/$r/final --data heldout.zarr --transitions 256 --threads 1 --json reports/$r-imagination.json > reports/$r-imagination.log 2>&1
done
