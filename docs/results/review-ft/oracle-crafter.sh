# The ceiling of review for the shipped policy (rig:crafter, act-first, 20.76% plain on these
# seeds): four proposals a step judged on their real outcome four steps ahead.
rig eval --agent oracle:crafter --candidates 4 --lookahead 4 --episodes 40 --seed 2000 \
    --max-steps 10000 --workers 1 --threads 1 --json oracle-crafter-n4-h4.json
