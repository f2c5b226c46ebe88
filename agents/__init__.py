"""RIG agents: everything that turns an observation into a `Decision`.

`make_agent(spec, env)` builds an agent from its name on the command line:

| spec        | agent                                                              |
|-------------|--------------------------------------------------------------------|
| random      | uniform random actions                                             |
| human       | a person at the keyboard of the pygame viewer                      |
| expert      | the world's scripted expert (Crafter: a planner over privileged state) |
| ppo:PATH    | an SB3 PPO policy from `rig train ppo` (its safetensors, never unpickled) |
| rig:PATH    | the RIG policy saved by `rig train policy` (PATH = its final/ folder) |
"""

from __future__ import annotations

import importlib

from rig.config import ConfigError, pick_device

from .base import Agent, Decision

__all__ = ["Agent", "Decision", "make_agent", "make_agents", "check_world_and_agent",
           "agent_names", "UnknownAgentError"]

# World-specific experts, by world family (the part of the id before "-v").
_EXPERTS = {
    "rig/Crafter": "rig.agents.crafter_expert:CrafterExpert",
    "rig/CrafterNoReward": "rig.agents.crafter_expert:CrafterExpert",
}
# MiniWoB++: the DOM-oracle expert, for the tasks of the suite it solves.
_EXPERTS.update({f"rig/MiniWoB-{task}": "rig.agents.miniwob_expert:MiniWoBExpert"
                 for task in __import__("rig.worlds.miniwob_tasks",
                                        fromlist=["MINIWOB_SUITE"]).MINIWOB_SUITE})

AGENTS = {
    "random": "uniform random actions",
    "human": "you, at the keyboard of the viewer window",
    "expert": "the world's scripted expert, which plans on privileged state and explains itself",
    "expert:player": "Crafter's expert limited to what the frame shows (the 9x7 cells around the "
                     "player); it explores for what is out of view: the teacher for a policy",
    "ppo:PATH": "a stable-baselines3 PPO policy saved by `rig train ppo` (OUT/model.zip or OUT): "
                "played from the safetensors file beside the zip, never by unpickling the zip "
                "(SB3's zips can run code when loaded; `rig train ppo --convert ZIP` converts "
                "one you trained yourself)",
    "rig:PATH": "the RIG policy (reason, act, imagine) saved by `rig train policy` (OUT/final)",
}


class UnknownAgentError(ConfigError):
    """An agent spec that names no agent, or an agent the chosen world does not have."""


def agent_names() -> list[str]:
    return list(AGENTS)


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def make_agent(spec: str, env, seed: int | None = None, viewer=None,
               **policy_options) -> Agent:
    """Build the agent named by `spec` for the world `env`.

    `viewer` is the live window; only the human agent needs it (it reads the keyboard there).
    `policy_options` go to the RIG policy (`RigPolicy`): `imagine=False` skips the imagined
    frame (faster evaluation), `device` ("auto": a GPU when torch sees one), `temperature`
    (reasoning and actions; 0: greedy), `lookahead` and `candidates` (RIG-lookahead).
    """
    name = spec.split(":", 1)[0]
    world_id = env.spec.id if env.spec is not None else ""
    if name == "random":
        from .random_agent import RandomAgent

        return RandomAgent(env, seed=seed)
    if name == "human":
        from .human import HumanAgent

        return HumanAgent(env, viewer=viewer)
    if name == "expert":
        family = world_id.rsplit("-v", 1)[0]
        if family not in _EXPERTS:
            raise UnknownAgentError(f"world {world_id!r} has no expert; experts exist for: "
                                    f"{', '.join(sorted(_EXPERTS))}")
        view = spec.partition(":")[2]
        if not view:
            return _load(_EXPERTS[family])(env, seed=seed)
        if family != "rig/Crafter":
            raise UnknownAgentError(f"the expert of {world_id!r} has no views; use --agent expert")
        from .crafter_expert import VIEWS

        if view not in VIEWS:
            raise UnknownAgentError(f"unknown expert view {view!r}; valid: "
                                    f"{', '.join('expert:' + v for v in VIEWS)}")
        return _load(_EXPERTS[family])(env, seed=seed, view=view)
    if name == "ppo":
        path = spec.partition(":")[2]
        if not path:
            raise UnknownAgentError("the ppo agent needs a model path: --agent ppo:PATH/model.zip")
        from .ppo_agent import PPOAgent

        return PPOAgent(env, path, seed=seed)
    if name == "rig":
        path = spec.partition(":")[2]
        if not path:
            raise UnknownAgentError("the rig agent needs a checkpoint: --agent rig:OUT/final")
        from .rig_policy import RigPolicy

        options = dict(policy_options)
        options["device"] = pick_device(options.get("device", "cpu"))
        return RigPolicy(env, path, seed=seed, **options)
    raise UnknownAgentError(f"unknown agent {spec!r}; valid agents: {', '.join(agent_names())}")


def make_agents(spec: str, envs: list, seed: int | None = None, viewer=None, **policy_options):
    """Agents for K worlds played in lockstep: one agent when it is batched (it decodes all the
    worlds together, e.g. the RIG policy), else one agent per world (agents keep per-episode
    state). `rollout.run_batch` takes either."""
    options = dict(seed=seed, viewer=viewer, **policy_options)
    first = make_agent(spec, envs[0], **options)
    if getattr(first, "batched", False):
        return first
    return [first] + [make_agent(spec, env, **options) for env in envs[1:]]


def check_world_and_agent(world_id: str, spec: str) -> None:
    """Build the world and the agent once and close them, so that an unknown world, agent or
    checkpoint fails here with its clear error, before any worker process starts."""
    import rig.worlds

    env = rig.worlds.make(world_id)
    try:
        make_agent(spec, env).close()
    finally:
        env.close()
