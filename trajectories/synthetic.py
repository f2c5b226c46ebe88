"""Small synthetic episodes: for tests and examples of the store without running a simulator.

Role in the data flow: stands in for a play/collect loop; each episode is recognizable from its
content alone (frames filled with the episode's index), which the safety tests rely on.
"""

from __future__ import annotations

import numpy as np

from rig.agents.base import Decision
from rig.trajectories import EpisodeBuilder

ITEMS = ["health", "wood", "stone"]
ACHIEVEMENTS = ["collect_wood", "place_table", "wake_up"]


def make_episode(index: int, length: int = 12, *, seed: int | None = None, size: int = 16,
                 imagine: bool = False, crafter_info: bool = True, agent: str = "synthetic",
                 world_id: str = "rig/Crafter-v0") -> EpisodeBuilder:
    """Every frame of episode `index` is filled with `index % 251`; action ids equal `index`,
    so a reader can tell a step of one episode from another."""
    builder = EpisodeBuilder(world_id, index if seed is None else seed, agent,
                             task_text=f"task {index}", world_version_text="test 1")
    achievements = {name: 0 for name in ACHIEVEMENTS}
    for t in range(length):
        image = np.full((size, size, 3), index % 251, dtype=np.uint8)
        image[0, 0] = t % 256
        decision = Decision(action=index, action_text=f"act {index}",
                            reasoning=f"episode {index} step {t}: é ✓")
        if imagine and t % 2 == 0:
            decision.imagined_frame = image.copy()
            decision.imagined_tokens = np.arange(4, dtype=np.int32) + t
            decision.review = f"review {t}"
        unlocked = []
        if t == 3:
            unlocked = ["collect_wood"]
            achievements["collect_wood"] = 1
        info = {"inventory": {"health": 9, "wood": t, "stone": 0},
                "achievements": dict(achievements), "achievements_unlocked": unlocked} \
            if crafter_info else {}
        last = t == length - 1
        builder.add_step({"image": image, "text": f"obs {t}"}, decision, 1.0 if t == 3 else 0.0,
                         terminated=last, truncated=False, info=info)
    return builder


def fill_store(path, episodes: int = 3, length: int = 12, **kwargs):
    from rig.trajectories import TrajectoryStore
    with TrajectoryStore.open(path, "a") as store:
        for i in range(episodes):
            store.append_episode(make_episode(i, length, **kwargs))
    return path
