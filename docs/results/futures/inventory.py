"""Issue 22, eighteenth session: does the shipped policy imagine what the oracle's reward reads?
Crafter's reward is unlocks and health, and the frame shows both in its bottom two rows of
cells (vitals and inventory: pixel rows 49-62, 18 cells of 7x7). The policy plays imagining
(tuning seeds, never the evaluation ones); at each step where a cell of those rows changes in
the real next frame, is the policy's imagined frame (decoded) nearer the real next cell than
the current one is (it foresaw the change)? And where a cell stays, is the imagined one within
12 grey levels (RMS) of it? Codes are not compared: the tokenizer's codes of a
cell also depend on the cells around it. Run: python inventory.py [EPISODES] [SEED]"""
import sys

import numpy as np
import torch

import rig.worlds
from rig.agents import make_agent

torch.set_num_threads(1)
episodes, first = (int(a) for a in (sys.argv[1:] + ["10", "5000"][len(sys.argv) - 1:])[:2])
env = rig.worlds.make("rig/Crafter-v0")
agent = make_agent("rig:crafter", env, seed=0, imagine=True)
agent.set_drawing(True)


def cells(frame):
    """The 18 cells of the bottom two rows, 7x7x3 each, as floats."""
    band = np.asarray(frame[49:63, :63], dtype=np.float32)
    return band.reshape(2, 7, 9, 7, 3).transpose(0, 2, 1, 3, 4).reshape(18, -1)


changed = foreseen = unlock_cells = unlock_foreseen = kept = kept_right = steps = 0
for seed in range(first, first + episodes):
    obs, info = env.reset(seed=seed)
    agent.reset(seed)
    for _ in range(400):
        decision = agent.act(obs, info)
        now = cells(obs["image"])
        obs, _, terminated, truncated, info = env.step(decision.action)
        real, imagined = cells(obs["image"]), cells(decision.imagined_frame)
        steps += 1
        moved = np.abs(real - now).max(1) > 0
        nearer = ((imagined - real) ** 2).mean(1) < ((imagined - now) ** 2).mean(1)
        changed += moved.sum()
        foreseen += (nearer & moved).sum()
        if info["achievements_unlocked"]:
            unlock_cells += moved.sum()
            unlock_foreseen += (nearer & moved).sum()
        # a cell that stays: imagined within 12 grey levels (RMS) counts as kept (decoded
        # pixels are not exact)
        stays = ~moved
        kept += stays.sum()
        kept_right += (np.sqrt(((imagined - real) ** 2).mean(1)) < 12)[stays].sum()
        if terminated or truncated:
            break
print(f"shipped rig:crafter imagining, seeds {first}-{first + episodes - 1}, {steps} steps; the "
      "frame's bottom two rows (vitals, inventory), 18 cells a step")
print(f"cells that changed: {changed}; imagined nearer the new cell than the old: "
      f"{foreseen / max(changed, 1):.1%}")
print(f"  of them on steps that unlocked an achievement: {unlock_cells}; foreseen "
      f"{unlock_foreseen / max(unlock_cells, 1):.1%}")
print(f"cells that stayed: {kept}; imagined within 12 grey levels (RMS): "
      f"{kept_right / max(kept, 1):.1%}")
