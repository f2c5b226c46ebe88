# issue 22, nineteenth session: a reward reader on image codes, trained on stored transitions,
# asked to rank the shipped policy's proposals by their real and by their imagined outcome.
# The store: the seventeenth session's DART store, tokenized (docs/results/dart/round65.sh).
cd /work/data/ns/v27
P=/work/main/.venv/bin/python
D=/work/main/docs/results/reader
$P $D/reader.py /work/data/ns/v26/dart.zarr reader-b 6      # beside another job
$P $D/reader.py /work/data/ns/v26/dart.zarr reader-c 15
# validation seeds 3001-3004; 4 proposals, 4 steps ahead (~20 min on one core)
$P $D/probe.py reader-b 4 3001 probe-h4-3001.json 4 4
gzip -c probe-h4-3001.json > $D/probe-h4-seeds3001-3004.json.gz
$P $D/analyze.py reader-b $D/probe-h4-seeds3001-3004.json.gz > $D/analysis-6min.txt
$P $D/analyze.py reader-c $D/probe-h4-seeds3001-3004.json.gz > $D/analysis-15min.txt
# one step ahead, the same states (two processes, one core each)
$P $D/probe.py reader-b 2 3001 probe-h1-3001.json 4 1 & $P $D/probe.py reader-b 2 3003 probe-h1-3003.json 4 1; wait
python3 -c "import gzip, json; a, b = (json.load(open(f'probe-h1-{s}.json')) for s in (3001, 3003)); json.dump({'summary': [a['summary'], b['summary']], 'records': a['records'] + b['records']}, gzip.open('$D/probe-h1-seeds3001-3004.json.gz', 'wt'))"
$P $D/analyze.py reader-b $D/probe-h1-seeds3001-3004.json.gz > $D/analysis-h1-6min.txt
$P $D/analyze.py reader-c $D/probe-h1-seeds3001-3004.json.gz > $D/analysis-h1-15min.txt
