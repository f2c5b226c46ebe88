"""Issue 22, round51.sh's verdict records read further (validation seeds 3000-3019): the spread
of P(accept), the pairwise AUC by kind of decisive state, and the value rule's share of the
oracle's gain at other margins (shown for what it says, not used to pick the margin).
Run from the data folder: python analyse.py v22/reports/verdict-value.json ..."""
import json
import sys

import numpy as np

import rig.agents.judge_review as judge_review
from rig.eval.verdict import DECISIVE_KINDS, decisive_kind, pairwise_auc, rule_gain


for path in sys.argv[1:]:
    episodes = json.load(open(path))["episodes"]
    records = [r for e in episodes for r in e["records"]]
    steps = sum(e["steps"] for e in episodes)
    shares = np.concatenate([r["confidence"] for r in records])
    print(path, f"{len(records)} reviewed states; P(accept) 10/25/50/75/90th percentile:",
          np.percentile(shares, [10, 25, 50, 75, 90]).round(3))
    for name in DECISIVE_KINDS:
        decisive = [r for r in records if len(set(r["values"])) > 1 and decisive_kind(r) == name]
        auc, pairs = pairwise_auc(decisive)
        print(f"  AUC on {name} states: {auc if auc is None else round(auc, 3)} ({pairs} pairs)")
    oracle = sum(rule_gain("oracle", r)[0] for r in records)
    for margin in (0.0, 0.02, 0.05, 0.1, 0.2):
        judge_review.VALUE_MARGIN = margin
        gain = sum(rule_gain("value", r)[0] for r in records)
        changed = sum(rule_gain("value", r)[1] for r in records)
        print(f"  value rule, margin {margin}: {gain / oracle:.2f} of the oracle's gain, "
              f"changes {changed / steps:.3f} of the steps")
