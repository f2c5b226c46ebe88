# issue 22: how much of the real-outcome oracle's ceiling is foresight of luck? The shipped
# policy's 4 proposals valued four steps ahead (the policy continuing) in branches that throw
# the real world's own dice, then in branches whose chance is re-drawn (`--oracle-futures M`:
# the mean of M futures the real world will not throw). Seeds 2000-2039, horizon 10,000.
cd /work/data/ns/v27
R=/work/main/.venv/bin/rig
COMMON="--candidates 4 --lookahead 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10"
$R eval --agent oracle:crafter $COMMON --json reports/oracle-own-h4.json > reports/oracle-own-h4.log 2>&1
$R eval --agent oracle:crafter $COMMON --oracle-futures 4 --json reports/oracle-futures4-h4.json > reports/oracle-futures4-h4.log 2>&1
$R eval --agent oracle:crafter $COMMON --oracle-futures 1 --json reports/oracle-futures1-h4.json > reports/oracle-futures1-h4.log 2>&1
echo done > round66.done
