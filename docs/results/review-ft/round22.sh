# Issue 22, (c) of the decomposition: review data on the act-first teacher store, with the
# shipped policy's own proposals (and the reasoning it proposed them with), then the shipped
# policy fine-tuned on teacher + review data with the restated-frame layout.
cd /work/data/af
R=/work/main/.venv/bin/rig

$R data review --data expert.zarr --out review.zarr --every 10 --horizon 4 --poor-actions 1 --policy rig:crafter --workers 2 > review.log 2>&1
$R data tokenize --data review.zarr --tokenizer crafter --device cpu --threads 2 > tok-review.log 2>&1
C="--image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --context-steps 1 --history-actions 0 --batch-size 32 --steps 1000000 --checkpoint-every 250 --eval-every 1000 --device cpu --threads 1"
$R train policy expert.zarr review.zarr --mix 0.7 0.3 --init-from /work/main/pretrained/crafter-policy --imagine-from-frame --imagine-rate 0.3 --lr 1e-3 --warmup 50 --max-minutes 45 $C --out runs/review-ft > runs/review-ft.log 2>&1
echo done-train
