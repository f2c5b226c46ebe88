"""`rig collect`: play an agent in worker processes and append its episodes to a trajectory store.

Role in the data flow: the bridge from agents to training data. Each worker process builds its
own worlds (`--num-worlds`, played in lockstep) and agent once, plays the seeds it is handed
and sends back whole built episodes; the parent is the store's only writer, so episodes land
whole and in seed order of completion.
With `--driver`, another agent drives and the (expert) agent labels every state it reaches
(DAgger, `agents/dagger.py`): the store then holds the driver's trajectories with the teacher's
actions and reasoning as training labels.
Resumable: seeds that the store already holds for the same world and agent are skipped, so a
killed run is finished by running the same command again, and nothing is ever overwritten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require


@dataclass
class CollectConfig:
    out: str = option("data/crafter-expert.zarr", "trajectory store to create or append to")
    world: str = option("rig/Crafter-v0", "world id (`rig worlds` lists them)")
    agent: str = option("expert", "agent: random | expert | expert:player | ppo:PATH | rig:PATH")
    episodes: int = option(10, "episodes to collect, one per seed from --seed upward")
    seed: int = option(0, "first seed (seeds already in the store for this world and agent "
                       "are skipped)")
    max_steps: int | None = option(None, "horizon per episode (none: the world's own limit)")
    workers: int = option(0, "worker processes (0: one per CPU core)")
    num_worlds: int = option(1, "worlds each worker plays in lockstep: a RIG policy (as agent or "
                             "driver) decodes them as one batch")
    driver: str | None = option(None, "DAgger: this agent (e.g. rig:OUT/final, or random for "
                                "noise injection) drives, --agent labels every state it reaches")
    driver_rate: float = option(0.5, "with --driver: share of steps that execute the driver's "
                                "action (the rest execute the label)")

    def validate(self) -> None:
        require(self.episodes >= 1, f"--episodes must be at least 1, got {self.episodes}")
        require(self.seed >= 0, f"--seed must be >= 0, got {self.seed}")
        require(self.max_steps is None or self.max_steps >= 1,
                f"--max-steps must be at least 1, got {self.max_steps}")
        require(self.workers >= 0, f"--workers must be >= 0, got {self.workers}")
        require(self.num_worlds >= 1, f"--num-worlds must be at least 1, got {self.num_worlds}")
        require(self.agent.split(":")[0] != "human", "a person plays through `rig play --agent "
                "human --record STORE`, not through workers")
        require(0.0 <= self.driver_rate <= 1.0,
                f"--driver-rate must be in [0, 1], got {self.driver_rate}")
        require(self.driver is None or self.driver.split(":")[0] != "human",
                "--driver human is not supported: a person cannot play in worker processes")
        parent = Path(self.out).expanduser().resolve().parent
        require(parent.is_dir(), f"--out: folder {parent} does not exist")

    def agent_spec(self) -> str:
        """What the store records as the episodes' agent (and resumes by)."""
        if self.driver is None:
            return self.agent
        return f"{self.agent} labelling {self.driver} (driver rate {self.driver_rate:g})"


_WORKER: dict = {}


def build_agents(envs: list, agent: str, driver: str | None = None, driver_rate: float = 0.5):
    """The agent(s) to record in `envs`: `agent` (one batched agent or one per world), or with
    a driver, the DAgger pair (`agent` labels, one teacher per world)."""
    from rig.agents import make_agent, make_agents

    if driver is None:
        return make_agents(agent, envs)
    from rig.agents.dagger import DaggerAgent

    # the driver only needs its action: no imagined frame (faster, and not recorded)
    return DaggerAgent([make_agent(agent, env) for env in envs],
                       make_agents(driver, envs, imagine=False), driver_rate)


def _init_worker(world: str, agent: str, driver: str | None, driver_rate: float,
                 spec: str, num_worlds: int) -> None:
    import rig.worlds
    from rig.eval.rollout import single_threaded_worker

    single_threaded_worker()
    envs = [rig.worlds.make(world) for _ in range(num_worlds)]
    _WORKER.update(envs=envs, agents=build_agents(envs, agent, driver, driver_rate), spec=spec)


def record_episodes(envs, agents, seeds: list[int], agent_spec: str, max_steps: int | None):
    """Play one episode per seed, in lockstep in `envs` (`rollout.run_batch`), and return a
    (built episode dict, EpisodeResult) per seed."""
    from rig.eval.rollout import run_batch

    from .episode import EpisodeBuilder

    envs = envs[:len(seeds)]
    builders = [EpisodeBuilder(world_id=env.spec.id if env.spec is not None else "", seed=seed,
                               agent=agent_spec, task_text=env.unwrapped.task_text())
                for env, seed in zip(envs, seeds)]

    def on_step(world, step, obs, decision, reward, terminated, truncated, info, so_far):
        builders[world].add_step(obs, decision, reward, terminated, truncated, info)

    results = run_batch(envs, agents, seeds, agent_spec=agent_spec, max_steps=max_steps,
                        on_step=on_step)
    return [(builder.build(), result) for builder, result in zip(builders, results)]


def _collect_seeds(seeds: list[int], max_steps: int | None):
    return record_episodes(_WORKER["envs"], _WORKER["agents"], seeds, _WORKER["spec"], max_steps)


def existing_seeds(store, world: str, agent: str) -> set[int]:
    if store.num_episodes == 0:
        return set()
    worlds, agents, seeds = (store.read_meta(k) for k in ("world_id", "agent", "seed"))
    return {int(s) for w, a, s in zip(worlds, agents, seeds) if str(w) == world and str(a) == agent}


def collect(config: CollectConfig) -> int:
    import concurrent.futures as futures
    import multiprocessing
    import time

    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from rig.agents import check_world_and_agent

    from .store import TrajectoryStore

    check_world_and_agent(config.world, config.agent)
    if config.driver is not None:
        check_world_and_agent(config.world, config.driver)
    spec = config.agent_spec()
    console = Console()
    with TrajectoryStore.open(config.out, mode="a") as store:
        done = existing_seeds(store, config.world, spec)
        wanted = range(config.seed, config.seed + config.episodes)
        seeds = [s for s in wanted if s not in done]
        if len(seeds) < len(wanted):
            console.print(f"{len(wanted) - len(seeds)} of these seeds are already in "
                          f"{config.out}: skipping them")
        if not seeds:
            console.print("nothing to collect")
            return 0
        # batches of --num-worlds seeds, one batch a task
        batches = [seeds[i:i + config.num_worlds] for i in range(0, len(seeds),
                                                                  config.num_worlds)]
        workers = min(config.workers or os.cpu_count() or 1, len(batches))
        console.print(f"collecting {len(seeds)} episodes of {spec} on {config.world} "
                      f"into {config.out} with {workers} worker(s)")
        columns = (TextColumn("episodes"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[steps]} steps, {task.fields[rate]} steps/s"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        start, steps = time.perf_counter(), 0
        context = multiprocessing.get_context("spawn")
        with Progress(*columns, console=console) as progress, futures.ProcessPoolExecutor(
                workers, mp_context=context, initializer=_init_worker,
                initargs=(config.world, config.agent, config.driver, config.driver_rate,
                          spec, config.num_worlds)) as pool:
            task = progress.add_task("collect", total=len(seeds), steps=0, rate=0)
            pending = [pool.submit(_collect_seeds, b, config.max_steps) for b in batches]
            for future in futures.as_completed(pending):
                for episode, result in future.result():
                    store.append_episode(episode)
                    steps += result.length
                    rate = steps / max(time.perf_counter() - start, 1e-9)
                    progress.update(task, advance=1, steps=steps, rate=f"{rate:.0f}")
        console.print(f"{config.out}: now {store.num_episodes} episodes, {store.num_steps} steps")
    return 0
