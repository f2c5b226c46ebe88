# round 12: the observation text in view (vitals and inventory as words, --text-tokens 64), eye2, context 1, no list
R=/work/main/.venv/bin/rig
C="expert.zarr more.zarr --image-input cnn --eye-tokens 2 --text-tokens 64 --preset micro --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 20 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1 --history-actions 0 --context-steps 1"
$R train policy $C --out runs/rig4x-text-c1h0-reasononly-rr05 --reason-rate 0.5 --no-imagination > runs/rig4x-text-c1h0-reasononly-rr05.log 2>&1 &
$R train policy $C --out runs/rig4x-text-c1h0-actonly --no-reasoning --no-imagination > runs/rig4x-text-c1h0-actonly.log 2>&1 &
wait
for r in rig4x-text-c1h0-reasononly-rr05 rig4x-text-c1h0-actonly; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
