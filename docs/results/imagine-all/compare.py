"""Paired bootstrap of read_imagined.py's AUC (imagined) between policies read on the same
held-out transitions. Run: python compare.py A.json B.json [...]"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reader"))
from reader import auc  # noqa: E402

runs = [json.load(open(p)) for p in sys.argv[1:]]
labels = np.array([r["unlock"] for r in runs[0]["records"]])
scores = [np.array([r["p_imagined"] for r in run["records"]]) for run in runs]
rng = np.random.default_rng(0)
draws = [rng.integers(0, len(labels), len(labels)) for _ in range(2000)]
for run, s in zip(runs, scores):
    boot = [auc(s[d], labels[d]) for d in draws]
    print(f"{run['summary']['agent']:28s} AUC {auc(s, labels):.3f} "
          f"({np.percentile(boot, 2.5):.3f}-{np.percentile(boot, 97.5):.3f})")
for i in range(len(runs)):
    for j in range(i + 1, len(runs)):
        diff = [auc(scores[i][d], labels[d]) - auc(scores[j][d], labels[d]) for d in draws]
        print(f"{runs[i]['summary']['agent']} - {runs[j]['summary']['agent']}: "
              f"{auc(scores[i], labels) - auc(scores[j], labels):+.3f} "
              f"({np.percentile(diff, 2.5):+.3f}..{np.percentile(diff, 97.5):+.3f})")
