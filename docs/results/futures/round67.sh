# issue 22: the perfect-simulator judge's ceiling with more proposals: the shipped policy's 8
# proposals, each valued over one re-drawn future four steps ahead. Seeds 2000-2039, horizon
# 10,000 (round66.sh's settings but --candidates 8).
cd /work/data/ns/v27
R=/work/main/.venv/bin/rig
$R eval --agent oracle:crafter --candidates 8 --lookahead 4 --oracle-futures 1 --episodes 40 --seed 2000 --max-steps 10000 --workers 2 --threads 1 --num-worlds 10 --json reports/oracle-futures1-c8-h4.json > reports/oracle-futures1-c8-h4.log 2>&1
echo done > round67.done
