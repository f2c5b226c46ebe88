"""`rig eval`: score an agent over many seeds, one episode per seed, in worker processes.

Role in the data flow: the measuring counterpart of `rig play`. Each worker builds its own world
and agent once, then plays the seeds it is handed; the parent gathers `EpisodeResult`s, shows a
progress bar, prints the summary (per-achievement rates, Crafter score with a bootstrap
interval) and can write it as JSON. Results depend only on the seeds, never on the worker count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rig.agents.options import PolicyOptions
from rig.config import option, require, require_parent


@dataclass
class EvalConfig(PolicyOptions):
    world: str = option("rig/Crafter-v0", "world id (`rig worlds` lists them)")
    agent: str = option("expert", "agent: random | expert | expert:player | ppo:PATH | rig:PATH | "
                        "bc:PATH | oracle:PATH | judge:PATH | judge-weighted:PATH | "
                        "judge-value:PATH")
    episodes: int = option(10, "number of episodes, one per seed, from --seed upward")
    seed: int = option(1000, "first seed (keep evaluation seeds apart from tuning seeds)")
    seeds: list[int] | None = option(None, "explicit seeds (overrides --episodes and --seed)")
    max_steps: int | None = option(None, "horizon per episode (none: the world's own limit)")
    workers: int = option(0, "worker processes (0: one per CPU core; with --ray: one per CPU "
                          "of the cluster)")
    ray: str | None = option(None, metavar="ADDRESS", help="play on a Ray cluster at this "
                             "address (e.g. 10.0.0.5:6379; "
                             "the `ray` extra, rig installed on every node) instead of local "
                             "worker processes: the same episodes for the same seeds")
    num_worlds: int = option(1, "worlds each worker plays in lockstep (a batched agent such as "
                             "rig:PATH decodes them in one batch)")
    json: str | None = option(None, "also write the summary to this JSON file")

    def validate(self) -> None:
        require(self.episodes >= 1, f"--episodes must be at least 1, got {self.episodes}")
        require(self.seed >= 0, f"--seed must be >= 0, got {self.seed}")
        require(self.seeds is None or all(s >= 0 for s in self.seeds), "--seeds must be >= 0")
        require(self.max_steps is None or self.max_steps >= 1,
                f"--max-steps must be at least 1, got {self.max_steps}")
        self.validate_policy_options()
        require(self.workers >= 0, f"--workers must be >= 0, got {self.workers}")
        require(self.num_worlds >= 1, f"--num-worlds must be at least 1, got {self.num_worlds}")
        from rig.agents import parse_agent

        require(not parse_agent(self.agent).kind.interactive, "rig eval runs headless: use "
                "`rig play --agent human` to play yourself")
        if self.json:
            require_parent(self.json, "--json")

    def seed_list(self) -> list[int]:
        return list(self.seeds) if self.seeds else list(range(self.seed, self.seed + self.episodes))


def run_evaluation(config: EvalConfig, console=None, label: str = "episodes") -> dict:
    """Play the config's seeds on the rollout pool; return the summary (with wall seconds)."""
    import time

    from rich.console import Console

    from rig.rollout import RolloutPool, progress_bar
    from rig.rollout.episode import play_seeds, worlds_and_agents

    from .report import summarize

    seeds = config.seed_list()
    k = config.num_worlds
    batches = [seeds[i:i + k] for i in range(0, len(seeds), k)]
    console = console or Console()
    results = {}
    start = time.perf_counter()
    with RolloutPool(worlds_and_agents, (config.world, config.agent, k,
                                         config.policy_options()),
                     workers=config.workers, ray_address=config.ray, jobs=len(batches),
                     threads=config.threads) as pool:
        console.print(f"evaluating {config.agent} on {config.world}: {len(seeds)} episodes "
                      f"(seeds {seeds[0]}..{seeds[-1]}), {pool.describe()}")
        progress, task = progress_bar(console, label, len(seeds))
        with progress:
            for batch in pool.imap_unordered(play_seeds, [(b, config.max_steps)
                                                          for b in batches]):
                for result in batch:
                    results[result.seed] = result
                    progress.update(task, advance=1, status=f"last: seed {result.seed}, "
                                    f"{len(set(result.achievements))} achievements, "
                                    f"{result.length} steps")
    summary = summarize([results[s] for s in seeds])
    summary["max_steps"] = config.max_steps
    summary["wall_seconds"] = time.perf_counter() - start
    summary.update(config.policy_options())
    return summary


def evaluate(config: EvalConfig) -> int:
    from rich.console import Console

    from rig.agents import check_world_and_agent

    from .report import print_summary

    check_world_and_agent(config.world, config.agent, **config.policy_options())
    console = Console()
    summary = run_evaluation(config, console)
    print_summary(summary, console)
    if config.json:
        Path(config.json).write_text(json.dumps(summary, indent=2))
        console.print(f"summary written to {config.json}")
    return 0
