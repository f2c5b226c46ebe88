# Issue 22: the weighted judge two steps ahead on runs/judge-scratch, evaluation seeds 2000-2039,
# beside that policy's rows of round29.sh/round30.sh (plain, judge, oracle). The rule was looked
# at on validation seeds 3000-3019 first (round32.sh) and has no threshold to tune. One worker
# beside the stage-2 training.
cd /work/data/af
R=/work/main/.venv/bin/rig
P=runs/judge-scratch/final
$R eval scaling --agent rig:$P --modes weighted --lookahead 0 2 --candidates 4 --episodes 40 --seed 2000 --max-steps 10000 --workers 1 --threads 1 --num-worlds 10 --out reports/scaling-judge-scratch > reports/scaling-judge-scratch-weighted.log 2>&1
echo done-weighted
# The run above redrew scaling.csv and the plots with its own two settings only; redraw them from
# every row of the record (measuring nothing):
/work/main/.venv/bin/python - <<'PY'
import json
from pathlib import Path
from rig.eval.scaling import write_reports
out = Path("reports/scaling-judge-scratch")
print(write_reports(list(json.loads((out / "scaling.json").read_text())["settings"].values()), out))
PY
