# issue 22: the shipped policy fine-tuned on the four-step review data of round54 (20% of the
# batches) and the 256 act-first teacher episodes (80%), 35 CPU minutes, one thread each, the
# verdict taught as the relative label and as the candidate's own value, side by side
cd /work/data/ns
R=/work/main/.venv/bin/rig
while [ ! -f v23/round54.done ]; do sleep 20; done
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --no-review-words"
for target in label value; do
  $R train policy expert.zarr more.zarr v23/review-h4.zarr --mix 0.2 0.6 0.2 --init-from /work/main/pretrained/crafter-policy --imagine-rate 0.25 --lr 5e-4 --warmup 50 --max-minutes 35 $C --verdict-target $target --out v23/runs/$target > v23/runs-$target.log 2>&1 &
done
wait
echo done > v23/round55.done
