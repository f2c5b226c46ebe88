# issue 22 point 1: the shipped context-1 policy (rig:crafter), plain and with best-of-N judged on
# the real outcome (--agent oracle:...), seeds 2000-2039, horizon 10,000, 2 workers of 10 worlds
E="--episodes 40 --seed 2000 --max-steps 10000 --workers 2 --num-worlds 10 --no-imagine --threads 1"
rig eval --agent rig:crafter $E --json oracle-plain-h10000.json
rig eval --agent oracle:crafter --candidates 4 --lookahead 1 $E --json oracle-n4-h1-h10000.json
rig eval --agent oracle:crafter --candidates 4 --lookahead 4 $E --json oracle-n4-h4-h10000.json
rig eval --agent oracle:crafter --candidates 4 --lookahead 16 $E --json oracle-n4-h16-h10000.json
