"""One episode of an agent in a world: the loop under `rig play`, `rig eval` and `rig collect`.

Role in the data flow: reset the world with a seed, ask the agent for a `Decision` each step,
step the world with its action, and report every step to an optional callback (the viewer, the
store recorder). Returns an `EpisodeResult`, the plain record the summaries are built from.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable


@dataclass
class EpisodeResult:
    world: str                    # world id
    agent: str                    # agent spec
    seed: int                     # the seed the world was reset with
    episode_return: float         # sum of rewards
    length: int                   # steps taken
    achievements: list[str]       # achievements unlocked during the episode (worlds that have them)
    end: str                      # "terminated" (e.g. died), "truncated" (world time limit) or "max_steps"
    seconds: float                # wall time of the episode
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. fallback counts of a policy

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# on_step(step, obs, decision, reward, terminated, truncated, info, result_so_far)
StepCallback = Callable[..., None]


def run_episode(env, agent, seed: int, *, agent_spec: str = "", max_steps: int | None = None,
                on_reset: Callable | None = None, on_step: StepCallback | None = None,
                should_stop: Callable[[], bool] | None = None) -> EpisodeResult:
    """Play one episode from `env.reset(seed=seed)`; stop at the world's end or `max_steps`."""
    start = time.perf_counter()
    obs, info = env.reset(seed=seed)
    agent.reset(seed=seed)
    world_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    result = EpisodeResult(world=world_id, agent=agent_spec or agent.name, seed=seed,
                           episode_return=0.0, length=0, achievements=[], end="max_steps",
                           seconds=0.0)
    if on_reset is not None:
        on_reset(obs, info)
    unlocked: list[str] = []
    while max_steps is None or result.length < max_steps:
        decision = agent.act(obs, info)
        next_obs, reward, terminated, truncated, info = env.step(decision.action)
        result.length += 1
        result.episode_return += float(reward)
        unlocked.extend(info.get("achievements_unlocked", ()))
        result.achievements = unlocked
        if on_step is not None:
            on_step(result.length, obs, decision, reward, terminated, truncated, info, result)
        obs = next_obs
        if terminated or truncated:
            result.end = "terminated" if terminated else "truncated"
            break
        if should_stop is not None and should_stop():
            break
    result.seconds = time.perf_counter() - start
    stats = getattr(agent, "episode_stats", None)
    if callable(stats):
        result.extras.update(stats())
    return result
