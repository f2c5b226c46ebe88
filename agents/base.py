"""The agent contract: `reset()`, then `act(obs, info) -> Decision` once per step.

Role in the data flow: a world hands an `Observation` (`{"image", "text"}`) and its `info` to
an agent; the agent returns a `Decision`, whose `action` goes back to the world and whose text
(reasoning, action text, later the imagined frame and a review) goes to viewers and stores.

`info` is the world's privileged state. Experts read it (that is what makes them experts);
learned policies must not, and take it only to keep one signature for every agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Decision:
    """What an agent decided at one step, with everything it has to say about it."""

    action: Any                                   # the world's action (an int id for Crafter)
    action_text: str                              # its canonical text form in the world's language
    reasoning: str = ""                           # why, in plain words (empty if the agent has none)
    imagined_frame: np.ndarray | None = None      # expected next frame, uint8 (H, W, 3), if imagined
    imagined_tokens: np.ndarray | None = None     # the image-token ids it was decoded from, if any
    review: str | None = None                     # the agent's review of its imagined outcome, if any
    # RIG-lookahead: the imagined rollout of each reviewed proposal, uint8 (C, N, H, W, 3) for
    # C proposals at most and N steps ahead; proposals not made this step are all zero
    lookahead_frames: np.ndarray | None = None
    # DAgger: what the teacher would have done at this state when another agent drove
    # (`action` is what was executed; this is the training label)
    teacher_action_text: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # agent-specific diagnostics (counts, timings)


class Agent:
    """Base class for agents. Subclasses implement `act`; `reset` clears per-episode state.

    A batched agent (`batched = True`, e.g. the RIG policy) serves K worlds played in lockstep
    at once: `reset_batch(seeds)` starts K episodes and `act_batch(observations, infos)` decides
    for all of them (a world whose episode is over is given None and gets None back);
    `rig.rollout.run_batch` drives either kind. An ordinary agent serves one world, and K
    worlds get K agents (`rig.agents.make_agents` builds whichever the agent is).
    """

    name: str = "agent"
    batched: bool = False

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode. `seed` makes a stochastic agent reproducible."""

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        raise NotImplementedError

    def reset_batch(self, seeds: list[int | None]) -> None:
        """Batched agents: start one episode per seed, one per world."""
        raise NotImplementedError(f"{type(self).__name__} is not a batched agent")

    def act_batch(self, observations: list, infos: list) -> list[Decision | None]:
        """Batched agents: one decision per world; None for worlds whose episode is over."""
        raise NotImplementedError(f"{type(self).__name__} is not a batched agent")

    def episode_stats(self, world: int = 0) -> dict[str, Any]:
        """Counts of the episode just played in `world` (fallbacks, generated tokens...), which
        the episode's `EpisodeResult.extras` report; none by default."""
        return {}

    def set_drawing(self, frames: bool, rollouts: bool = False) -> None:
        """Whether anyone looks at the pixels of what this agent imagines (a viewer, a video, a
        recording): agents that imagine in tokens decode them to pixels only then (`rig eval`
        does not look). `rollouts`: also every frame of a lookahead's imagined rollouts."""

    def overrule(self, action_text: str, world: int = 0) -> None:
        """Another action than the one this agent just chose was executed (DAgger: the teacher's
        label). Agents that remember their past actions replace their last one with it."""

    def close(self) -> None:
        """Release windows, browsers, or devices the agent holds."""
