"""Issue 22, eighteenth session: `rig eval` reports of one policy side by side: Crafter score
(95% interval), mean length, how often the oracle changed the policy's action and how many
branch steps it played a step, and each report paired by seed with the first (the mean
difference in achievements unlocked an episode, 95% bootstrap interval over seeds).
Run: python compare.py PLAIN.json ORACLE.json..."""
import json
import sys

import numpy as np

reports = [(path, json.load(open(path))) for path in sys.argv[1:]]
first = {e["seed"]: e for e in reports[0][1]["episodes_detail"]}
rng = np.random.default_rng(0)
for path, report in reports:
    episodes = report["episodes_detail"]
    low, high = report["crafter_score_ci95"]
    steps = sum(e["extras"].get("oracle_steps", 0) for e in episodes) or 1
    changed = sum(e["extras"].get("oracle_changed", 0) for e in episodes) / steps
    branch = sum(e["extras"].get("oracle_branch_steps", 0) for e in episodes) / steps
    line = (f"{path}: {report['crafter_score']:.2f}% ({low:.2f}-{high:.2f}), mean length "
            f"{report['mean_length']:.0f}, changed {100 * changed:.1f}%, branch steps a step "
            f"{branch:.2f}")
    seeds = sorted(set(first) & {e["seed"] for e in episodes})
    if report is not reports[0][1] and seeds:
        rows = {e["seed"]: e for e in episodes}
        diff = np.array([len(rows[s]["achievements"]) - len(first[s]["achievements"])
                         for s in seeds], dtype=float)
        boot = diff[rng.integers(0, len(diff), size=(10000, len(diff)))].mean(1)
        line += (f"; paired with the first over {len(seeds)} seeds: {diff.mean():+.2f} "
                 f"({np.percentile(boot, 2.5):+.2f}..{np.percentile(boot, 97.5):+.2f}) "
                 "achievements an episode")
    print(line)
