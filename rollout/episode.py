"""One episode of an agent in a world: the loop under `rig play`, `rig eval` and `rig collect`.

Role in the data flow: reset the world with a seed, ask the agent for a `Decision` each step,
step the world with its action, and report every step to an optional callback (the viewer, the
store recorder). Returns an `EpisodeResult`, the plain record the summaries are built from.
`run_batch` plays K worlds in lockstep, for batched agents (`Agent.batched`) such as the RIG
policy, which decodes all of them in one forward call.
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
    end: str                      # "terminated" (e.g. died), "truncated" (world time limit),
                                  # "max_steps", or the world's own words (info["ended_by"])
    seconds: float                # wall time of the episode
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. fallback counts of a policy,
    #                               health lost by cause ("health_lost", worlds that say it)
    success: bool | None = None   # task solved (worlds with tasks, e.g. MiniWoB; None for Crafter)
    unlocked_at: dict[str, int] = field(default_factory=dict)  # the step each achievement was
    #                               first unlocked by (1 = the first action): how fast an agent
    #                               climbs a tech tree, not only how far

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# on_step(step, obs, decision, reward, terminated, truncated, info, result_so_far)
StepCallback = Callable[..., None]


def run_episode(env, agent, seed: int, *, agent_spec: str = "", max_steps: int | None = None,
                on_reset: Callable | None = None, on_step: StepCallback | None = None,
                should_stop: Callable[[], bool] | None = None) -> EpisodeResult:
    """Play one episode from `env.reset(seed=seed)`; stop at the world's end or `max_steps`."""
    def on_world_step(world, *args):
        on_step(*args)

    def on_world_reset(world, obs, info):
        on_reset(obs, info)

    return run_batch([env], agent if agent.batched else [agent], [seed],
                     agent_spec=agent_spec, max_steps=max_steps,
                     on_reset=on_world_reset if on_reset else None,
                     on_step=on_world_step if on_step else None, should_stop=should_stop)[0]


def run_batch(envs, agents, seeds: list[int], *, agent_spec: str = "",
              max_steps: int | None = None, on_reset: Callable | None = None,
              on_step: Callable | None = None,
              should_stop: Callable[[], bool] | None = None) -> list[EpisodeResult]:
    """Play one episode in each of K worlds in lockstep.

    `agents` is either one batched agent (`agent.batched`: `reset_batch(seeds)`,
    `act_batch(observations, infos)`, which gets None for worlds whose episode is over) or a
    list of at least K ordinary agents (`rig.agents.make_agents` builds either; the contract is
    declared in `rig.agents.Agent`). Callbacks get
    the world index first.
    """
    start = time.perf_counter()
    batched = not isinstance(agents, list)
    if not batched:
        agents = agents[:len(envs)]  # a pool of K agents may serve a last, smaller batch
    observations, infos = map(list, zip(*(env.reset(seed=s) for env, s in zip(envs, seeds))))
    if batched:
        agents.reset_batch(list(seeds))
    else:
        for agent, seed in zip(agents, seeds):
            agent.reset(seed=seed)
    results = []
    for env, seed in zip(envs, seeds):
        world_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
        name = agent_spec or (agents.name if batched else agents[0].name)
        results.append(EpisodeResult(world=world_id, agent=name, seed=seed, episode_return=0.0,
                                     length=0, achievements=[], end="max_steps", seconds=0.0))
    if on_reset is not None:
        for w in range(len(envs)):
            on_reset(w, observations[w], infos[w])
    live = [True] * len(envs)
    while any(live):
        shown = [obs if alive else None for obs, alive in zip(observations, live)]
        if batched:
            decisions = agents.act_batch(shown, infos)
        else:
            decisions = [agent.act(obs, info) if obs is not None else None
                         for agent, obs, info in zip(agents, shown, infos)]
        for w, env in enumerate(envs):
            if not live[w]:
                continue
            result = results[w]
            next_obs, reward, terminated, truncated, infos[w] = env.step(decisions[w].action)
            result.length += 1
            result.episode_return += float(reward)
            for name in infos[w].get("achievements_unlocked", ()):
                result.achievements.append(name)
                result.unlocked_at.setdefault(name, result.length)
            if infos[w].get("damage"):  # worlds that say what took health (Crafter): summed
                lost = result.extras.setdefault("health_lost", {})
                for cause, amount in infos[w]["damage"].items():
                    lost[cause] = lost.get(cause, 0) + int(amount)
            if on_step is not None:
                on_step(w, result.length, observations[w], decisions[w], reward, terminated,
                        truncated, infos[w], result)
            observations[w] = next_obs
            if "success" in infos[w]:
                result.success = bool(infos[w]["success"])
            if terminated or truncated:  # a world may say more (a crashed browser)
                result.end = str(infos[w].get("ended_by")
                                 or ("terminated" if terminated else "truncated"))
                live[w] = False
            elif max_steps is not None and result.length >= max_steps:
                live[w] = False
        if should_stop is not None and should_stop():
            break
    for w, result in enumerate(results):
        result.seconds = time.perf_counter() - start
        result.extras.update(agents.episode_stats(w) if batched else agents[w].episode_stats())
    return results



def worlds_and_agents(world: str, agent: str, num_worlds: int = 1,
                      policy_options: dict | None = None) -> dict:
    """A worker's state: `num_worlds` worlds and their agent(s), built once (`rig eval`)."""
    import rig.worlds
    from rig.agents import agents_in, make_agents

    envs = [rig.worlds.make(world) for _ in range(num_worlds)]
    agents = make_agents(agent, envs, **(policy_options or {}))
    for one in agents_in(agents):
        one.set_drawing(False)  # an evaluation scores actions: nobody looks at imagined pixels
    return {"envs": envs, "agents": agents, "spec": agent}


def play_seeds(worker: dict, seeds: list[int], max_steps: int | None) -> list[EpisodeResult]:
    """A pool job: one episode per seed, in lockstep in the worker's worlds."""
    return run_batch(worker["envs"][:len(seeds)], worker["agents"], seeds,
                     agent_spec=worker["spec"], max_steps=max_steps)


def play_agent(_state, world: str, agent: str, seeds: list[int], max_steps: int | None,
               policy_options: dict | None = None) -> list[EpisodeResult]:
    """A stateless pool job: `worlds_and_agents` for these seeds, `play_seeds`, then close them.
    For agents that change between jobs (a training run's newest checkpoint); an evaluation of
    one agent builds it once per worker instead."""
    from rig.agents import agents_in

    worker = worlds_and_agents(world, agent, len(seeds), policy_options)
    try:
        return play_seeds(worker, list(seeds), max_steps)
    finally:
        for one in agents_in(worker["agents"]):
            one.close()
        for env in worker["envs"]:
            env.close()
