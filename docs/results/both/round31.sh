# Issue 22: one policy with both the shipped policy's decisions and the from-the-start policy's
# imagination, in two stages. Stage 1 is runs/judge-scratch (docs/results/judge-scratch/round27.sh:
# the restated frame from the start, imagined frames in half the teacher samples, review in 40% of
# the batches, 80 CPU minutes). Stage 2 (here) fine-tunes it for decisions: teacher batches 90%
# (all 256 act-first episodes, by store size), review 10%, imagined frames kept in a quarter of the
# teacher samples so the imagination is not forgotten; lr 1e-3, one thread, 70 CPU minutes.
cd /work/data/af
R=/work/main/.venv/bin/rig
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr more.zarr review4.zarr --mix 0.225 0.675 0.1 --init-from runs/judge-scratch/final --imagine-from-frame --imagine-rate 0.25 --lr 1e-3 --warmup 100 --max-minutes 70 $C --out runs/both > runs/both.log 2>&1
echo done-train
