"""DAgger: a learner drives, the expert labels every state the learner leads to.

Role in the data flow: `rig collect --agent expert --driver rig:CKPT --driver-rate P` plays this
agent. At each step the teacher (the expert, reading the world's privileged `info`) decides
what it would do and why; with probability P the driver's action is executed instead. The
episode records what happened (`action`, `action_text`: the executed action, so frames, rewards
and actions stay a true trajectory) and the teacher's label (`teacher_action_text`, and the
teacher's `reasoning`). Training (`train/sequence.py`) puts the label in the `<act>` slot and
keeps the imagined frame only where the executed action was the label.

Why: a policy cloned from expert episodes has only seen the states the expert visits; its own
mistakes lead it to states no example covers, and errors compound (Ross et al., 2011). Labelling
the driver's states shows it how to recover from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Agent, Decision


class DaggerAgent(Agent):
    name = "dagger"

    def __init__(self, teacher: Agent, driver: Agent, driver_rate: float, seed: int | None = None):
        if not 0.0 <= driver_rate <= 1.0:
            raise ValueError(f"driver_rate must be in [0, 1], got {driver_rate}")
        self.teacher, self.driver, self.driver_rate = teacher, driver, float(driver_rate)
        self.rng = np.random.default_rng(seed)
        self.driven = 0  # steps of this episode that executed the driver's action

    def reset(self, seed: int | None = None) -> None:
        self.teacher.reset(seed=seed)
        self.driver.reset(seed=seed)
        if seed is not None:
            self.rng = np.random.default_rng([int(seed), 1])  # not the agents' own streams
        self.driven = 0

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        label = self.teacher.act(obs, info)
        # the driver sees every step, so that its context (history, cache) follows the episode
        proposal = self.driver.act(obs, info)
        drive = self.rng.random() < self.driver_rate
        executed = proposal if drive else label
        self.driven += int(drive)
        history = getattr(self.driver, "history", None)
        if history and history[0] and not drive:
            # the driver remembers its own choice as the past action; it was not taken
            history[0][-1] = label.action_text
        return Decision(
            action=executed.action, action_text=executed.action_text,
            reasoning=label.reasoning, teacher_action_text=label.action_text,
            extras={"driver_action": proposal.action_text, "driven": drive,
                    "driven_steps": self.driven, **{f"teacher_{k}": v
                                                    for k, v in label.extras.items()}})

    def close(self) -> None:
        self.teacher.close()
        self.driver.close()
