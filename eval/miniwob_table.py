"""`rig eval miniwob`: success per MiniWoB++ task and the mean, for several agents side by side.

Role in the data flow: the GUI half of a generalist's report (issue 7): the same seeds of every
task for each agent (the DOM expert, the random clicker, RIG policies), played by worker
processes that each own one headless Chromium and reuse it across a task's seeds. Writes a
markdown table and, with --json, every episode's outcome.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from rig.agents.options import PolicyOptions
from rig.config import option, require

@dataclass
class EvalMiniWoBConfig(PolicyOptions):
    agents: list[str] = option(None, "agents to score side by side: expert | random | rig:PATH "
                               "| ppo:PATH", factory=lambda: ["expert", "random"])
    tasks: list[str] = option(None, "tasks (names after rig/MiniWoB-); none: the default suite",
                              factory=list)
    episodes: int = option(10, "episodes per task and agent, one per seed")
    seed: int = option(2000, "first seed (use seeds no agent trained on)")
    max_steps: int = option(20, "horizon per episode")
    workers: int = option(1, "worker processes, each with its own browser")
    json: str = option("", "also write the table and every episode's outcome to this file")
    markdown: str = option("", "also write the table as markdown to this file")

    def validate(self) -> None:
        from rig.worlds.miniwob_tasks import MINIWOB_TASKS

        require(self.episodes >= 1 and self.workers >= 1 and self.max_steps >= 1,
                "--episodes, --workers and --max-steps must be >= 1")
        unknown = [t for t in self.tasks if t not in MINIWOB_TASKS]
        require(not unknown, f"unknown MiniWoB task(s) {unknown}; `rig worlds` lists them")
        require(bool(self.agents), "name at least one agent")
        self.validate_policy_options()


def eval_miniwob(config: EvalMiniWoBConfig) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from rig.rollout import RolloutPool
    from rig.worlds.miniwob_tasks import MINIWOB_SUITE

    from .bench_miniwob import miniwob_episodes, miniwob_worker  # one browser a worker, reused

    console = Console()
    tasks = list(config.tasks or MINIWOB_SUITE)
    seeds = list(range(config.seed, config.seed + config.episodes))
    chunk = max(1, -(-config.episodes // config.workers))
    options = config.policy_options()
    jobs = [(t, seeds[i:i + chunk], a, options, config.max_steps) for a in config.agents
            for t in tasks for i in range(0, len(seeds), chunk)]
    results: list[dict] = []
    start = time.perf_counter()
    with RolloutPool(miniwob_worker, workers=config.workers, threads=config.threads) as pool, \
            Progress(
            console=console, transient=True) as progress:
        bar = progress.add_task("episodes", total=len(config.agents) * len(tasks) * len(seeds))
        for rows in pool.imap_unordered(miniwob_episodes, jobs):
            results += rows
            progress.advance(bar, len(rows))
    table = {task: {} for task in tasks}
    for task in tasks:
        for agent in config.agents:
            rows = [r for r in results if r["task"] == task and r["agent"] == agent]
            table[task][agent] = sum(r["success"] for r in rows) / len(rows)
    means = {a: statistics.mean(table[t][a] for t in tasks) for a in config.agents}
    lines = ["| task | " + " | ".join(config.agents) + " |",
             "|---|" + "---|" * len(config.agents)]
    lines += [f"| {t} | " + " | ".join(f"{100 * table[t][a]:.0f}%" for a in config.agents)
              + " |" for t in tasks]
    lines.append("| **mean** | " + " | ".join(f"**{100 * means[a]:.1f}%**"
                                              for a in config.agents) + " |")
    markdown = "\n".join(lines)
    console.print(f"MiniWoB++ success over seeds {seeds[0]}-{seeds[-1]} ({config.episodes} a "
                  f"task, horizon {config.max_steps}), {len(results)} episodes in "
                  f"{time.perf_counter() - start:.0f} s")
    print(markdown)
    if config.markdown:
        Path(config.markdown).write_text(markdown + "\n")
    if config.json:
        Path(config.json).write_text(json.dumps(
            {"agents": config.agents, "tasks": tasks, "seeds": seeds,
             "max_steps": config.max_steps, "success": table, "mean": means,
             "episodes": results}, indent=2, default=str) + "\n")
    return 0
