R=/work/main/.venv/bin/rig
C="expert.zarr more.zarr --image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 2 --imagine-rate 0.25 --batch-size 32 --lr 2e-3 --warmup 100 --steps 100000 --max-minutes 20 --checkpoint-every 250 --eval-every 400 --device cpu --threads 1"
$R train policy $C --out runs/rig4x-eye2 > runs/rig4x-eye2.log 2>&1 &
$R train policy $C --out runs/rig4x-eye2-actonly --no-reasoning --no-imagination > runs/rig4x-eye2-actonly.log 2>&1 &
wait
