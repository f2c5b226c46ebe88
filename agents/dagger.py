"""DAgger: a learner drives, the expert labels every state the learner leads to.

Role in the data flow: `rig collect --agent expert --driver rig:CKPT --driver-rate P` plays this
agent. At each step the teacher (the expert, reading the world's privileged `info`) decides
what it would do and why; with probability P the driver's action is executed instead. The
episode records what happened (`action`, `action_text`: the executed action, so frames, rewards
and actions stay a true trajectory) and the teacher's label (`teacher_action_text`, and the
teacher's `reasoning`). Training (`policy/sequence.py`) puts the label in the `<act>` slot and
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
    """One teacher per world and a driver (one batched agent, or one per world), played as one
    batched agent (`act_batch`), so that a RIG policy driver decodes K worlds together."""

    name = "dagger"
    batched = True

    def __init__(self, teachers: list[Agent], driver, driver_rate: float):
        if not 0.0 <= driver_rate <= 1.0:
            raise ValueError(f"driver_rate must be in [0, 1], got {driver_rate}")
        self.teachers, self.driver, self.driver_rate = list(teachers), driver, float(driver_rate)
        # one batched driver for all worlds, or one driver a world
        self.drivers = None if isinstance(driver, Agent) and driver.batched else list(driver)
        self.reset_batch([None] * len(self.teachers))

    def reset(self, seed: int | None = None) -> None:
        self.reset_batch([seed])

    def reset_batch(self, seeds: list[int | None]) -> None:
        for teacher, seed in zip(self.teachers, seeds):
            teacher.reset(seed=seed)
        if self.drivers is None:
            self.driver.reset_batch(list(seeds))
        else:
            for driver, seed in zip(self.drivers, seeds):
                driver.reset(seed=seed)
        # which steps are driven: a stream per world, apart from the agents' own
        self.rngs = [np.random.default_rng(None if s is None else [int(s), 1]) for s in seeds]
        self.driven = [0] * len(seeds)  # steps of the episode that executed the driver's action

    def episode_stats(self, world: int = 0) -> dict[str, int]:
        return {"driven_steps": self.driven[world]}

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        return self.act_batch([obs], [info])[0]

    def _overrule(self, world: int, action_text: str) -> None:
        """Tell the driver its choice in `world` was not taken, so its history stays true."""
        if self.drivers is None:
            self.driver.overrule(action_text, world)
        else:
            self.drivers[world].overrule(action_text)

    def act_batch(self, observations: list, infos: list) -> list[Decision | None]:
        active = [w for w, obs in enumerate(observations) if obs is not None]
        # the driver sees every step, so that its context (history, cache) follows the episode
        if self.drivers is None:
            proposals = self.driver.act_batch(observations, infos)
        else:
            proposals = [self.drivers[w].act(observations[w], infos[w]) if w in active else None
                         for w in range(len(observations))]
        decisions: list[Decision | None] = [None] * len(observations)
        for w in active:
            label = self.teachers[w].act(observations[w], infos[w])
            proposal = proposals[w]
            drive = bool(self.rngs[w].random() < self.driver_rate)
            executed = proposal if drive else label
            self.driven[w] += int(drive)
            if not drive:
                self._overrule(w, label.action_text)
            decisions[w] = Decision(
                action=executed.action, action_text=executed.action_text,
                reasoning=label.reasoning, teacher_action_text=label.action_text,
                extras={"driver_action": proposal.action_text, "driven": drive,
                        "driven_steps": self.driven[w],
                        **{f"teacher_{k}": v for k, v in label.extras.items()}})
        return decisions

    def close(self) -> None:
        for teacher in self.teachers:
            teacher.close()
        for driver in self.drivers or [self.driver]:
            driver.close()
