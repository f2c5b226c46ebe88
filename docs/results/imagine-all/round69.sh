# issue 22, twentieth session: does imagining on every batch teach the policy the outcomes that
# matter? The shipped policy fine-tuned for 40 CPU minutes on the DART store (the seventeenth
# session's, docs/results/dart/round65.sh) with every batch imagining (--imagine-rate 1.0),
# beside the same fine-tune with a tenth imagining (the shipped rate: the extra minutes alone),
# one thread each. Then read_imagined.py on held-out teacher episodes (seeds 1000-1023) for the
# shipped policy and both fine-tunes, with the nineteenth session's 6-minute reader.
cd /work/data/ns/v27
R=/work/main/.venv/bin/rig
P=/work/main/.venv/bin/python
D=/work/main/docs/results/imagine-all
[ -f holdout.zarr/tokenized ] || { $R collect --out holdout.zarr --agent expert:player,act-first \
    --episodes 24 --seed 1000 --max-steps 1000 --workers 2 &&
  $R data tokenize --data holdout.zarr --tokenizer crafter --device cpu --threads 2 &&
  touch holdout.zarr/tokenized; }
C="--init-from /work/main/pretrained/crafter-policy --image-input cnn --eye-tokens 2 --text-tokens 0 --preset micro --batch-size 32 --lr 1e-3 --warmup 50 --steps 1000000 --max-minutes 40 --checkpoint-every 500 --eval-every 1000 --device cpu --threads 1 --history-actions 0 --context-steps 1"
$R train policy /work/data/ns/v26/dart.zarr $C --imagine-rate 1.0 --out runs/ft-im10 > runs/ft-im10.log 2>&1 &
$R train policy /work/data/ns/v26/dart.zarr $C --imagine-rate 0.1 --out runs/ft-im01 > runs/ft-im01.log 2>&1 &
# the shipped policy's reading while they train (a third process: both lose the same share)
$P $D/read_imagined.py rig:crafter holdout.zarr reader-b read-rig_crafter.json > read-rig_crafter.log 2>&1
wait
for a in rig:runs/ft-im10/final rig:runs/ft-im01/final; do
  n=$(echo $a | tr ':/' '__')
  $P $D/read_imagined.py $a holdout.zarr reader-b read-$n.json > read-$n.log 2>&1 &
done
wait
$P $D/compare.py read-rig_runs_ft-im10_final.json read-rig_runs_ft-im01_final.json read-rig_crafter.json > compare.txt
# closed loop, seeds 2000-2039, horizon 10,000 (about 1.2 minutes each)
for r in ft-im10 ft-im01; do
  $R eval --agent rig:runs/$r/final --episodes 40 --seed 2000 --max-steps 10000 --workers 2 \
      --num-worlds 10 --no-imagine --json reports/$r-h10000.json > reports/$r-eval.log 2>&1
done
echo done
