# Issue 22: the one-step reviewer without review words (runs/verdict-first, round38.sh), its
# verdicts reading the real outcome beside the imagined one (--real-frames), validation seeds
# 3000-3019. Two workers, 20 episodes (time).
cd /work/data/af
R=/work/main/.venv/bin/rig
$R eval verdict --agent rig:runs/verdict-first/final --candidates 4 --lookahead 1 --seed 3000 --episodes 20 --workers 2 --threads 1 --real-frames --json reports/verdict-first-h1-real.json > reports/verdict-first-h1-real.log 2>&1
echo done-verdict-h1-real
