# Issue 22: the reviewer's verdict trained as a value (--verdict-target value) against the same
# fine-tune with the stored outcome labels (--verdict-target label: revise exactly when another
# candidate of the state earned more), side by side, one thread each, 35 CPU minutes, from the
# shipped policy, on the teacher stores (80% of the batches) and v22/review.zarr (20%; round49.sh).
cd /work/data/ns
R=/work/main/.venv/bin/rig
while [ ! -f v22/round49.done ]; do sleep 20; done
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --no-review-words"
for target in value label; do
  $R train policy expert.zarr more.zarr v22/review.zarr --mix 0.2 0.6 0.2 --init-from pretrained/crafter-policy --imagine-rate 0.25 --lr 5e-4 --warmup 50 --max-minutes 35 $C --verdict-target $target --out v22/runs/$target > v22/runs-$target.log 2>&1 &
done
wait
echo done > v22/round50.done
