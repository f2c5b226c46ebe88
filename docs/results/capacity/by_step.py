"""Entry 22 of docs/policy.md: two runs' validation figures at the same optimizer steps
(free-running agreement with the teacher on held-out states, validation losses), read from
their metrics.jsonl. Run: python by_step.py RUN_A RUN_B"""
import json
import sys
from pathlib import Path


def validations(run):
    rows = (json.loads(line) for line in Path(run, "metrics.jsonl").read_text().splitlines())
    return {r["step"]: r for r in rows if "val/loss" in r}


runs = sys.argv[1:]
tables = [validations(r) for r in runs]
print("step  " + "  ".join(f"{Path(r).name:>40s}" for r in runs))
print("      " + "  ".join(f"{'agreement  val/reasoning  val/action':>40s}" for _ in runs))
for step in sorted(set().union(*tables)):
    cells = []
    for table in tables:
        r = table.get(step)
        cells.append(f"{r['val/free_action_agreement']:9.3f}  {r['val/loss/reasoning']:13.4f}  "
                     f"{r['val/loss/action']:10.4f}" if r else " " * 36)
    print(f"{step:5d}  " + "  ".join(f"{c:>40s}" for c in cells))
