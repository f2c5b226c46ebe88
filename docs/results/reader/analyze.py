"""The probe's records (probe.py) read again by a reader (reader.py): the pairwise AUC of each
reading against the real branch values, by what sets the proposals apart, and the reward a
judge acting on it gains over the policy's first sample, beside the oracle's.
Run: python analyze.py READER PROBE.json[.gz]..."""
import gzip
import json
import sys

import numpy as np
import torch

from reader import load
from rig.agents.judge_review import judge_pick
from rig.eval.verdict import DECISIVE_KINDS, decisive_kind, pairwise_auc

reader = load(sys.argv[1])
records = [r for path in sys.argv[2:]
           for r in json.load((gzip.open if path.endswith(".gz") else open)(path, "rt"))["records"]]


def steps(before, after) -> np.ndarray:
    """The reader's expected reward of each transition before[i] -> after[i]."""
    with torch.no_grad():
        return reader.value(torch.as_tensor(np.asarray(before), dtype=torch.long),
                            torch.as_tensor(np.asarray(after), dtype=torch.long)).numpy()


def readings(r) -> dict[str, list[float]]:
    """Each proposal's value by each way of reading its outcome."""
    now = np.asarray(r["codes_now"])
    out = {"real": [], "imagined": [], "imagined, first step only": [],
           "imagined, steps after the first": []}
    for real in r["codes_real"]:
        chain = np.concatenate([now[None], np.asarray(real)])
        out["real"].append(float(steps(chain[:-1], chain[1:]).sum()))
    for imagined in r["codes_imagined"]:
        chain = np.concatenate([now[None], np.asarray(imagined)])
        v = steps(chain[:-1], chain[1:])
        out["imagined"].append(float(v.sum()))
        out["imagined, first step only"].append(float(v[0]))
        out["imagined, steps after the first"].append(float(v[1:].sum()))
    return out


def gain(records, values, margin) -> tuple[float, int]:
    """The reward gained over the first samples by the value judge's rule on these readings
    (the highest, where it beats the first's by more than `margin`), and the actions changed."""
    total, changed = 0.0, 0
    for r, v in zip(records, values):
        pick = judge_pick(v, r["votes"], "value", margin)
        total += r["values"][pick] - r["values"][0]
        changed += pick != 0
    return total, changed


read = [readings(r) for r in records]
oracle = sum(max(r["values"]) - r["values"][0] for r in records)
print(f"{len(records)} states whose proposals differ; the oracle gains {oracle:.1f} over the "
      "first samples")
print("| reading | AUC (pairs) | " + " | ".join(f"AUC, {k}" for k in DECISIVE_KINDS) +
      " | gain at margin 0 / 0.1 / 0.3 (share of the oracle's; actions changed) |")
for key in read[0]:
    rows = [dict(r, confidence=x[key]) for r, x in zip(records, read)]
    a, n = pairwise_auc(rows)
    by = []
    for kind in DECISIVE_KINDS:
        ka, kn = pairwise_auc([row for row in rows if decisive_kind(row) == kind])
        by.append("-" if ka is None else f"{ka:.3f} ({kn})")
    gains = []
    for margin in (0.0, 0.1, 0.3):
        g, c = gain(records, [x[key] for x in read], margin)
        gains.append(f"{g:+.1f} ({g / oracle:.0%}; {c})")
    print(f"| {key} | {a:.3f} ({n}) | " + " | ".join(by) + " | " + " / ".join(gains) + " |")
values = np.array([v for r in records for v in r["values"]])
for key in ("real", "imagined"):
    x = np.array([v for reading in read for v in reading[key]])
    print(f"{key}: the reader's mean value a proposal {x.mean():.3f}, above 0.5 in "
          f"{(x > 0.5).mean():.1%} (the real branch values: mean {values.mean():.3f}, at least "
          f"0.5 in {(values >= 0.5).mean():.1%})")
