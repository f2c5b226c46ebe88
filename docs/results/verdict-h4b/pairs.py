"""Issue 22, fifteenth session: two settings of one `rig eval scaling` record paired by seed
(scaling.json keeps each episode's seed, length and unlocks since this session): the mean
difference in achievements unlocked an episode and in length, with a 95% bootstrap interval
over seeds. Run: python pairs.py scaling-label/scaling.json [KEY_A KEY_B]"""
import json
import sys

import numpy as np

settings = json.load(open(sys.argv[1]))["settings"]
a, b = sys.argv[2:4] if len(sys.argv) > 3 else list(settings)[:2]
rows = {k: {e["seed"]: e for e in settings[k]["episodes_detail"]} for k in (a, b)}
seeds = sorted(set(rows[a]) & set(rows[b]))
rng = np.random.default_rng(0)
for name, of in (("achievements", lambda e: len(e["achievements"])),
                 ("length", lambda e: e["length"])):
    diff = np.array([of(rows[b][s]) - of(rows[a][s]) for s in seeds], dtype=float)
    boot = diff[rng.integers(0, len(diff), size=(10000, len(diff)))].mean(1)
    print(f"{b} - {a}, {name} an episode over {len(seeds)} seeds: {diff.mean():+.2f} "
          f"({np.percentile(boot, 2.5):+.2f}..{np.percentile(boot, 97.5):+.2f})")
