"""Scores over episodes: per-achievement success rates and the Crafter score.

The Crafter score (Hafner, 2021) is the geometric mean of the achievement success rates,
computed in percent with an offset of 1 so that rare successes count:
    score = exp(mean_i ln(1 + s_i)) - 1,   s_i in [0, 100]
It rewards unlocking many different achievements over mastering a few. Published scores (Crafter
paper and follow-ups): human experts 50.5%, DreamerV3 14.5%, PPO 4.6%, random 1.6%.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

PUBLISHED_SCORES = {  # percent, 1M-step budget where it applies
    "human experts": 50.5,
    "SPRING (GPT-4)": 27.3,
    "DreamerV3": 14.5,
    "PPO": 4.6,
    "random": 1.6,
}


CRAFTER_FAMILIES = ("rig/Crafter", "rig/CrafterNoReward")


def score_name(world_ids: Iterable[str]) -> str:
    """What to call the geometric-mean score of episodes from these worlds: Crafter's name (and
    its published figures) only when every world is a Crafter one."""
    crafter = all(str(w).split("-v")[0] in CRAFTER_FAMILIES for w in world_ids)
    return "Crafter score" if crafter else "score (geometric mean of the rates)"


def achievement_names(world_id: str) -> list[str] | None:
    """The achievement list of a world that has one (Crafter, Minetest's tech tree), else None."""
    if world_id.split("-v")[0] in CRAFTER_FAMILIES:
        from rig.worlds.crafter import ACHIEVEMENTS

        return list(ACHIEVEMENTS)
    if world_id.startswith("rig/Minetest-"):
        from rig.worlds.minetest import ACHIEVEMENTS

        return list(ACHIEVEMENTS)
    return None


def episodes_score(results) -> float | None:
    """The Crafter score of finished episodes (`EpisodeResult`s), None for a world without
    achievements."""
    names = achievement_names(results[0].world) if results else None
    if not names:
        return None
    return crafter_score(success_rates([r.achievements for r in results], names).values())


def success_rates(unlocked_per_episode: Sequence[Iterable[str]],
                  names: Sequence[str]) -> dict[str, float]:
    """Percentage of episodes in which each named achievement was unlocked at least once."""
    if not unlocked_per_episode:
        raise ValueError("success rates need at least one episode")
    sets = [set(u) for u in unlocked_per_episode]
    return {name: 100.0 * sum(name in s for s in sets) / len(sets) for name in names}


def crafter_score(rates_percent: Iterable[float]) -> float:
    """The Crafter score in percent from success rates in percent."""
    rates = list(rates_percent)
    if not rates:
        raise ValueError("the Crafter score needs at least one success rate")
    if any(not 0.0 <= r <= 100.0 for r in rates):
        raise ValueError(f"success rates must be percentages in [0, 100], got {rates}")
    return math.exp(sum(math.log(1.0 + r) for r in rates) / len(rates)) - 1.0


def bootstrap_interval(values: Sequence, statistic, samples: int = 1000, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap confidence interval of `statistic(resampled values)`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(values)
    stats = sorted(statistic([values[i] for i in rng.integers(n, size=n)])
                   for _ in range(samples))
    low = stats[int((1 - level) / 2 * samples)]
    high = stats[min(samples - 1, int((1 + level) / 2 * samples))]
    return float(low), float(high)
