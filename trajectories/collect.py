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

from dataclasses import dataclass

from rig.config import option, require, require_parent


@dataclass
class CollectConfig:
    out: str = option("data/crafter-expert.zarr", "trajectory store to create or append to")
    world: str = option("rig/Crafter-v0", "world id (`rig worlds` lists them)")
    agent: str = option("expert", "agent: random | expert | expert:player | ppo:PATH | rig:PATH; "
                        "Crafter's expert words its reasoning in styles too: "
                        "expert:player,act-first (the move before its reason), "
                        "expert:player,short (the shortest phrasings), or both")
    episodes: int = option(10, "episodes to collect, one per seed from --seed upward")
    seed: int = option(0, "first seed (seeds already in the store for this world and agent "
                       "are skipped)")
    max_steps: int | None = option(None, "horizon per episode (none: the world's own limit)")
    workers: int = option(0, "worker processes (0: one per CPU core; with --ray: one per CPU "
                          "of the cluster)")
    ray: str | None = option(None, metavar="ADDRESS", help="play on a Ray cluster at this "
                             "address (e.g. 10.0.0.5:6379; "
                             "the `ray` extra, rig installed on every node): workers send whole "
                             "episodes back and this process appends them, the store's one "
                             "writer")
    threads: int = option(0, "torch CPU threads of each worker (0: the cores shared out: one "
                          "each when there are as many workers as cores)")
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
        require(self.threads >= 0, f"--threads must be >= 0, got {self.threads}")
        require(self.num_worlds >= 1, f"--num-worlds must be at least 1, got {self.num_worlds}")
        from rig.agents import parse_agent

        require(not parse_agent(self.agent).kind.interactive, "a person plays through "
                "`rig play --agent human --record STORE`, not through workers")
        require(0.0 <= self.driver_rate <= 1.0,
                f"--driver-rate must be in [0, 1], got {self.driver_rate}")
        require(self.driver is None or not parse_agent(self.driver).kind.interactive,
                "--driver human is not supported: a person cannot play in worker processes")
        require_parent(self.out, "--out")

    def agent_spec(self) -> str:
        """What the store records as the episodes' agent (and resumes by)."""
        if self.driver is None:
            return self.agent
        return f"{self.agent} labelling {self.driver} (driver rate {self.driver_rate:g})"


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


def recording_worker(world: str, agent: str, driver: str | None, driver_rate: float,
                     spec: str, num_worlds: int) -> dict:
    """A worker's state: its worlds and the agent(s) it records, built once."""
    import rig.worlds

    envs = [rig.worlds.make(world) for _ in range(num_worlds)]
    return {"envs": envs, "agents": build_agents(envs, agent, driver, driver_rate), "spec": spec}


def record_episodes(envs, agents, seeds: list[int], agent_spec: str, max_steps: int | None):
    """Play one episode per seed, in lockstep in `envs` (`rollout.run_batch`), and return a
    (built episode dict, EpisodeResult) per seed."""
    from rig.rollout import run_batch

    from .episode import EpisodeBuilder

    envs = envs[:len(seeds)]
    builders = [EpisodeBuilder(world_id=env.spec.id if env.spec is not None else "", seed=seed,
                               agent=agent_spec, task_text=env.get_wrapper_attr("task_text")())
                for env, seed in zip(envs, seeds)]

    def on_step(world, step, obs, decision, reward, terminated, truncated, info, so_far):
        builders[world].add_step(obs, decision, reward, terminated, truncated, info)

    results = run_batch(envs, agents, seeds, agent_spec=agent_spec, max_steps=max_steps,
                        on_step=on_step)
    return [(builder.build(), result) for builder, result in zip(builders, results)]


def collect_seeds(worker: dict, seeds: list[int], max_steps: int | None):
    """A pool job: record one episode per seed in the worker's worlds."""
    return record_episodes(worker["envs"], worker["agents"], seeds, worker["spec"], max_steps)


def existing_seeds(store, world: str, agent: str) -> set[int]:
    if store.num_episodes == 0:
        return set()
    worlds, agents, seeds = (store.read_meta(k) for k in ("world_id", "agent", "seed"))
    return {int(s) for w, a, s in zip(worlds, agents, seeds) if str(w) == world and str(a) == agent}


def collect(config: CollectConfig) -> int:
    import time

    from rich.console import Console

    from rig.agents import check_world_and_agent
    from rig.rollout import RolloutPool, progress_bar

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
        # batches of --num-worlds seeds, one batch a job
        batches = [seeds[i:i + config.num_worlds] for i in range(0, len(seeds),
                                                                  config.num_worlds)]
        setup = (config.world, config.agent, config.driver, config.driver_rate, spec,
                 config.num_worlds)
        with RolloutPool(recording_worker, setup, workers=config.workers,
                         ray_address=config.ray, jobs=len(batches),
                         threads=config.threads) as pool:
            console.print(f"collecting {len(seeds)} episodes of {spec} on {config.world} "
                          f"into {config.out} with {pool.describe()}")
            start, steps = time.perf_counter(), 0
            progress, task = progress_bar(console, "episodes", len(seeds), "0 steps")
            with progress:
                for batch in pool.imap_unordered(collect_seeds, [(b, config.max_steps)
                                                                 for b in batches]):
                    for episode, result in batch:
                        store.append_episode(episode)
                        steps += result.length
                        rate = steps / max(time.perf_counter() - start, 1e-9)
                        progress.update(task, advance=1,
                                        status=f"{steps} steps, {rate:.0f} steps/s")
        console.print(f"{config.out}: now {store.num_episodes} episodes, {store.num_steps} steps")
    return 0
