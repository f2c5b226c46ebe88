# What ends the episodes (2026-12-06, tenth session; docs/policy.md entry 14): the shipped policy,
# the teacher and random on seeds 2000-2039, horizon 10,000, with rig eval's death accounting;
# then when.py (day or night, asleep or awake) on the tuning seeds 5000-5019:
#   python when.py rig:crafter 20 5000; python when.py expert:player 20 5000
cd /work/data/af
R=/work/main/.venv/bin/rig
O=reports/deaths
$R eval --agent rig:crafter --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --json $O/crafter-h10000.json > $O/crafter.log 2>&1
$R eval --agent expert:player --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --json $O/teacher-h10000.json > $O/teacher.log 2>&1
$R eval --agent random --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --json $O/random-h10000.json > $O/random.log 2>&1
