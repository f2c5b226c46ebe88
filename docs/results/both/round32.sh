# Issue 22: the plain judge against the weighted judge (share-of-N x P(accept)) two steps ahead,
# on VALIDATION seeds 3000-3019 (not the evaluation seeds 2000-2039), on runs/judge-scratch.
# One worker, one thread, beside the stage-2 training (round31.sh) on the other core.
cd /work/data/af
R=/work/main/.venv/bin/rig
$R eval scaling --agent rig:runs/judge-scratch/final --modes judged weighted --lookahead 0 2 --candidates 4 --seed 3000 --episodes 20 --max-steps 10000 --workers 1 --threads 1 --out reports/validate-weighted > reports/validate-weighted.log 2>&1
echo done-validate
