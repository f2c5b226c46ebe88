"""Issue 22, twentieth session: does a policy imagine the outcomes that matter? On held-out
teacher transitions (seeds >= 1000, never trained on), the policy is teacher-forced up to
<imagine> and writes the next frame's 81 codes (greedy); the reward reader
(docs/results/reader/reader.py) then reads P(unlock) from (current codes, imagined codes) and
from (current codes, real next codes). Every transition with an unlock is taken, and as many
without one drawn at random: the AUC of P(unlock) says whether the imagined frame shows the
unlock (the inventory row gaining an item) as the real one does; code agreement is reported
beside it, on all codes and on the codes that change.
Run: python read_imagined.py POLICY STORE READER OUT.json [NEGATIVES_PER_POSITIVE]"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reader"))
from reader import auc, load  # noqa: E402

from rig.eval.imagination import Imaginer  # noqa: E402
from rig.policy.sequence import IMAGE_KEY  # noqa: E402
from rig.trajectories.store import TrajectoryStore  # noqa: E402

torch.set_num_threads(1)
agent, store_path, reader_path, out = sys.argv[1:5]
ratio = int(sys.argv[5]) if len(sys.argv) > 5 else 1
store = TrajectoryStore.open(store_path, "r")
imaginer = Imaginer(agent, store, "cpu")
reader = load(reader_path)

seeds = store.read_meta("seed")
held_out = [e for e in range(store.num_episodes) if int(seeds[e]) >= 1000]
dataset = imaginer.dataset(held_out)
codes_all = store.read(IMAGE_KEY).astype(np.int64)
reward = np.asarray(store.read("reward"), np.float64)
# the store's step index of each dataset item, and whether its step unlocked something
glob = np.asarray(dataset.steps)
ends = np.asarray(dataset.ends)
has_next = glob + 1 < ends[dataset.episode_of]
unlock = np.round(reward[glob]) >= 1
pos = np.flatnonzero(unlock & has_next)
rng = np.random.default_rng(0)
neg = rng.choice(np.flatnonzero(~unlock & has_next), ratio * len(pos), replace=False)
chosen = np.concatenate([pos, neg])
print(f"{len(held_out)} held-out episodes; {len(pos)} unlock transitions, {len(neg)} without",
      flush=True)

records = []
for start in range(0, len(chosen), 8):
    chunk = chosen[start:start + 8]
    imagined = imaginer.codes([imaginer.prompt(dataset[int(i)]) for i in chunk])
    imagined = imagined.reshape(len(chunk), -1)
    now = codes_all[glob[chunk]].reshape(len(chunk), -1)
    real = codes_all[glob[chunk] + 1].reshape(len(chunk), -1)
    with torch.no_grad():
        grid = lambda a: torch.from_numpy(a.reshape(-1, 9, 9))  # noqa: E731
        p_imagined = torch.sigmoid(reader(grid(now), grid(imagined))[:, 0]).numpy()
        p_real = torch.sigmoid(reader(grid(now), grid(real))[:, 0]).numpy()
    for k, index in enumerate(chunk):
        changed = now[k] != real[k]
        records.append({"unlock": bool(unlock[index]), "p_imagined": float(p_imagined[k]),
                        "p_real": float(p_real[k]),
                        "agree": float((imagined[k] == real[k]).mean()),
                        "agree_changed": (float((imagined[k][changed] == real[k][changed]).mean())
                                          if changed.any() else None),
                        "copy_agree": float((now[k] == real[k]).mean())})
    print(f"{len(records)}/{len(chosen)}", flush=True)

labels = np.array([r["unlock"] for r in records])
summary = {"agent": agent, "store": store_path, "reader": reader_path,
           "unlock_transitions": int(labels.sum()), "other_transitions": int((~labels).sum()),
           "auc_imagined": auc(np.array([r["p_imagined"] for r in records]), labels),
           "auc_real": auc(np.array([r["p_real"] for r in records]), labels)}
for name in ("agree", "copy_agree"):
    summary[name] = float(np.mean([r[name] for r in records]))
summary["agree_changed"] = float(np.mean([r["agree_changed"] for r in records
                                          if r["agree_changed"] is not None]))
for group, mask in (("unlock", labels), ("other", ~labels)):
    summary[f"mean_p_imagined_{group}"] = float(np.mean([r["p_imagined"] for r, m
                                                         in zip(records, mask) if m]))
    summary[f"mean_p_real_{group}"] = float(np.mean([r["p_real"] for r, m
                                                     in zip(records, mask) if m]))
print(json.dumps(summary, indent=1))
Path(out).write_text(json.dumps({"summary": summary, "records": records}))
