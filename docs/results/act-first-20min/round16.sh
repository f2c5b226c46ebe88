# Entry 10, pair 2: reasoning + action + imagined frames (a tenth of the batches) on the
# act-first wording, with the teacher's reasoning in every batch or in half of them.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 20 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1 --history-actions 0 --context-steps 1 --imagine-rate 0.1"
$R train policy expert.zarr more.zarr $C --out runs/af-both-im01 > runs/af-both-im01.log 2>&1 &
$R train policy expert.zarr more.zarr $C --reason-rate 0.5 --out runs/af-both-im01-rr05 > runs/af-both-im01-rr05.log 2>&1 &
wait
for r in af-both-im01 af-both-im01-rr05; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
