"""rig.train: everything that fits weights to trajectory stores.

- `train_policy` / `policy_run`: `rig train policy`, next-token training of the RIG policy with a
  loss weight per segment, exact resume, free-running validation (`free_running`) and
  closed-loop checks in a worker, accelerate for several processes (docs/policy.md);
- `bc`: `rig train bc`, the plain behaviour-cloning baseline on the same stores and split;
- `tokenizer`: `rig train tokenizer`, the VQ image tokenizer (docs/imagination.md);
- `ppo`: `rig train ppo`, the stable-baselines3 baseline (docs/baselines.md).
"""

from __future__ import annotations

import json
from pathlib import Path


def truncate_log(path: Path, step: int) -> None:
    """Keep only a JSON-lines log's lines up to `step` (one atomic replace), so each step has
    one line however often a run was killed and resumed (lines cut short by a kill go too)."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if int(json.loads(line)["step"]) <= step:
                kept.append(line)
        except (ValueError, KeyError, TypeError):
            pass  # a line cut short by a kill
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{line}\n" for line in kept))
    tmp.replace(path)
