# Issue 22: the two-step reviewer's verdicts (runs/verdict-first-h2, round41.sh) on validation
# seeds 3000-3019, two steps ahead, each proposal reviewed reading its imagined outcome and
# again reading its real one (--real-frames). Two workers, 20 episodes (time).
cd /work/data/af
R=/work/main/.venv/bin/rig
$R eval verdict --agent rig:runs/verdict-first-h2/final --candidates 4 --lookahead 2 --seed 3000 --episodes 20 --workers 2 --threads 1 --real-frames --json reports/verdict-first-h2-real.json > reports/verdict-first-h2-real.log 2>&1
echo done-verdict-h2
