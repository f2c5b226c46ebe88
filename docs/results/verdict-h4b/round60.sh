# issue 22: round55 again with three times the four-step review data (round54's 8,978 examples
# on seeds 300-427 and round59's 17,937 on seeds 428-683, both from the shipped policy's own
# states, the policy continuing every branch); the review share of the batches stays 20%, split
# by size. 35 CPU minutes each, one thread each, label and value side by side.
cd /work/data/ns
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --no-review-words"
for target in label value; do
  $R train policy expert.zarr more.zarr v23/review-h4.zarr v23/review-h4b.zarr --mix 0.2 0.6 0.067 0.133 --init-from /work/main/pretrained/crafter-policy --imagine-rate 0.25 --lr 5e-4 --warmup 50 --max-minutes 35 $C --verdict-target $target --out v24/runs/$target > v24/runs-$target.log 2>&1 &
done
wait
echo done > v24/round60.done
