"""RIG agents: everything that turns an observation into a `Decision`.

`make_agent(spec, env)` builds an agent from its name on the command line; `REGISTRY` holds
one `AgentKind` per name (its help line, what follows its colon, how to build it): to add an
agent, write its class in a module of this folder and add one entry there.

| spec        | agent                                                              |
|-------------|--------------------------------------------------------------------|
| random      | uniform random actions                                             |
| human       | a person at the keyboard of the pygame viewer                      |
| expert      | the world's scripted expert (Crafter: a planner over privileged state) |
| ppo:PATH    | an SB3 PPO policy from `rig train ppo` (its safetensors, never unpickled) |
| rig:PATH    | the RIG policy saved by `rig train policy` (PATH = its final/ folder) |
| bc:PATH     | the plain behaviour-cloning baseline saved by `rig train bc` (PATH = its OUT) |
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from rig.config import ConfigError, pick_device, resolve_model

from .base import Agent, Decision

__all__ = ["Agent", "Decision", "AgentSpec", "AgentKind", "REGISTRY", "parse_agent",
           "rig_checkpoint", "make_agent", "make_agents", "agents_in", "check_world_and_agent",
           "agent_names", "UnknownAgentError"]

# World-specific experts, by world family (the part of the id before "-v").
_EXPERTS = {
    "rig/Crafter": "rig.agents.crafter_expert:CrafterExpert",
    "rig/CrafterNoReward": "rig.agents.crafter_expert:CrafterExpert",
}
# Minetest: the tech-tree expert, on the open world and every task world.
_EXPERTS.update({family: "rig.agents.minetest_expert:MinetestExpert" for family in
                 ["rig/Minetest"] + [f"rig/Minetest-{task}" for task in
                                     __import__("rig.worlds", fromlist=["MINETEST_TASKS"])
                                     .MINETEST_TASKS]})
# MiniWoB++: the DOM-oracle expert, for the tasks of the suite it solves.
_EXPERTS.update({f"rig/MiniWoB-{task}": "rig.agents.miniwob_expert:MiniWoBExpert"
                 for task in __import__("rig.worlds.miniwob_tasks",
                                        fromlist=["MINIWOB_SUITE"]).MINIWOB_SUITE})

@dataclass(frozen=True)
class AgentSpec:
    """An agent as named on the command line (`name` or `name:argument`), parsed once."""

    name: str
    argument: str = ""

    def __str__(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name

    @property
    def kind(self) -> "AgentKind":
        return REGISTRY[self.name]


@dataclass(frozen=True)
class AgentKind:
    """One entry of the registry: the name, what may follow its colon, its help line, whether
    it needs a person at the window, and how to build it for a world."""

    name: str
    help: str
    build: Callable[..., Agent]   # build(spec, env, seed=, viewer=, **policy_options)
    argument: str = ""            # what follows the colon, in words ("PATH"); "" for none
    required: bool = False        # the argument must be given
    interactive: bool = False     # needs a person at the viewer: not in worker processes
    forms: tuple[tuple[str, str], ...] = ()  # other spellings listed in the help, with theirs
    missing: str = ""             # what to say when the required argument is not given

    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument and self.required else self.name


def _random(spec, env, seed=None, viewer=None, **_):
    from .random_agent import RandomAgent

    return RandomAgent(env, seed=seed)


def _human(spec, env, seed=None, viewer=None, **_):
    from .human import HumanAgent

    return HumanAgent(env, viewer=viewer)


def _expert(spec, env, seed=None, viewer=None, **_):
    world_id = env.spec.id if env.spec is not None else ""
    family = world_id.rsplit("-v", 1)[0]
    if family not in _EXPERTS:
        raise UnknownAgentError(f"world {world_id!r} has no expert; experts exist for: "
                                f"{', '.join(sorted(_EXPERTS))}")
    if not spec.argument:
        return _load(_EXPERTS[family])(env, seed=seed)
    if family != "rig/Crafter":
        raise UnknownAgentError(f"the expert of {world_id!r} has no views; use --agent expert")
    from .crafter_expert import VIEWS, style_problem

    view, *styles = spec.argument.split(",")
    if view not in VIEWS:
        raise UnknownAgentError(f"unknown expert view {view!r}; valid: "
                                f"{', '.join('expert:' + v for v in VIEWS)}")
    problem = style_problem(styles)
    if problem:
        raise UnknownAgentError(problem)
    return _load(_EXPERTS[family])(env, seed=seed, view=view, styles=tuple(styles))


def _ppo(spec, env, seed=None, viewer=None, **_):
    from .ppo_agent import PPOAgent

    return PPOAgent(env, spec.argument, seed=seed)


def _rig(spec, env, seed=None, viewer=None, **policy_options):
    from .rig_agent import RigPolicy

    # the judges' and the oracle's own options are not the policy's
    options = {k: v for k, v in policy_options.items()
               if k not in ("judge_margin", "oracle_futures")}
    options["device"] = pick_device(options.get("device", "cpu"))
    return RigPolicy(env, spec.argument, seed=seed, **options)


def _best_of_n(agent_class: str, takes: tuple[str, ...] = ()):
    """The factory of a best-of-N agent over a RIG policy (the oracle, the judge): `module:Class`
    built with the policy options it takes (device, temperature, candidates, lookahead, and
    `takes`: the judges' judge_margin, the oracle's oracle_futures)."""
    def make(spec, env, seed=None, viewer=None, **policy_options):
        options = {k: v for k, v in policy_options.items()
                   if k in ("device", "temperature", "candidates", "lookahead") + takes}
        options["device"] = pick_device(options.get("device", "cpu"))
        return _load(agent_class)(env, spec.argument, seed=seed, **options)
    return make


_oracle = _best_of_n("rig.agents.oracle_review:OracleReview", ("oracle_futures",))
_judge = _best_of_n("rig.agents.judge_review:JudgeReview", ("judge_margin",))
_judge_weighted = _best_of_n("rig.agents.judge_review:WeightedJudgeReview", ("judge_margin",))
_judge_value = _best_of_n("rig.agents.judge_review:ValueJudgeReview", ("judge_margin",))


def _bc(spec, env, seed=None, viewer=None, **policy_options):
    from .bc_agent import BCPolicy

    options = {k: v for k, v in policy_options.items() if k in ("device", "temperature")}
    options["device"] = pick_device(options.get("device", "cpu"))
    return BCPolicy(env, spec.argument, seed=seed, **options)


REGISTRY: dict[str, AgentKind] = {kind.name: kind for kind in (
    AgentKind("random", "uniform random actions", _random),
    AgentKind("human", "you, at the keyboard of the viewer window", _human, interactive=True),
    AgentKind("expert", "the world's scripted expert, which plans on privileged state and "
              "explains itself", _expert, argument="VIEW",
              forms=(("expert:player", "Crafter's expert limited to what the frame shows (the "
                      "9x7 cells around the player); it explores for what is out of view: the "
                      "teacher for a policy; expert:player,act-first (or ,goal-first) and/or ,short "
                      "word the same decisions with the move before its reason (or the reason, "
                      "then the move before its target) or in the shortest phrasings"),)),
    AgentKind("ppo", "a stable-baselines3 PPO policy saved by `rig train ppo` (OUT/model.zip or "
              "OUT): played from the safetensors file beside the zip, never by unpickling the "
              "zip (SB3's zips can run code when loaded; `rig train ppo --convert ZIP` converts "
              "one you trained yourself)", _ppo, argument="PATH", required=True,
              missing="the ppo agent needs a model path: --agent ppo:PATH/model.zip"),
    AgentKind("rig", "the RIG policy (reason, act, imagine) saved by `rig train policy` "
              "(OUT/final)", _rig, argument="PATH", required=True,
              missing="the rig agent needs a checkpoint: --agent rig:OUT/final"),
    AgentKind("oracle", "a measurement, not a policy: the RIG policy at PATH proposes "
              "--candidates actions a step, each is tried in a branch of the real world for "
              "--lookahead steps (the policy acting on), and the one that earns the most reward "
              "is executed: the ceiling of what review can add (context-1 policies)", _oracle,
              argument="PATH", required=True,
              missing="the oracle agent needs a RIG checkpoint: --agent oracle:OUT/final "
                      "--candidates 4 --lookahead 2"),
    AgentKind("judge", "the RIG policy at PATH proposes --candidates actions a step, imagines "
              "each --lookahead steps ahead and reviews it; its own first proposal is acted on "
              "unless its review leans to revise, then the proposal it is most sure of: "
              "best-of-N judged on the imagined outcome, the oracle's counterpart "
              "(context-1 policies)", _judge, argument="PATH", required=True,
              missing="the judge agent needs a RIG checkpoint: --agent judge:OUT/final "
                      "--candidates 4 --lookahead 1"),
    AgentKind("judge-weighted", "the judge, with each proposal's review weighed by how often "
              "the policy proposed it: the proposal with the largest share-of-N x P(accept) is "
              "acted on (context-1 policies)", _judge_weighted, argument="PATH", required=True,
              missing="the judge-weighted agent needs a RIG checkpoint: --agent "
                      "judge-weighted:OUT/final --candidates 4 --lookahead 1"),
    AgentKind("judge-value", "the judge for a reviewer trained with `rig train policy "
              "--verdict-target value` (its P(accept) is the proposal's expected outcome): the "
              "proposal with the highest P(accept) is acted on where it beats the first sample's "
              "by more than --judge-margin (0.05; context-1 policies)", _judge_value,
              argument="PATH",
              required=True, missing="the judge-value agent needs a RIG checkpoint: --agent "
                                     "judge-value:OUT/final --candidates 4 --lookahead 1"),
    AgentKind("bc", "the plain behaviour-cloning baseline (a CNN on the frame and the last "
              "action, optionally the observation text's numbers; no reasoning, no imagination) "
              "saved by `rig train bc` (OUT, or OUT/final, OUT/best)", _bc, argument="PATH",
              required=True, missing="the bc agent needs a folder: --agent bc:OUT"),
)}

# every spelling with its help line: what `rig agents` lists
AGENTS = {form: text for kind in REGISTRY.values()
          for form, text in ((kind.usage(), kind.help), *kind.forms)}


class UnknownAgentError(ConfigError):
    """An agent spec that names no agent, or an agent the chosen world does not have."""


def agent_names() -> list[str]:
    return list(AGENTS)


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def parse_agent(spec: str | AgentSpec) -> AgentSpec:
    """`name[:argument]` -> an `AgentSpec`, checked against the registry: an unknown name or a
    missing path is an `UnknownAgentError` (a ConfigError: exit 2) that lists what exists."""
    if isinstance(spec, AgentSpec):
        return spec
    name, _, argument = str(spec).partition(":")
    kind = REGISTRY.get(name)
    if kind is None:
        raise UnknownAgentError(f"unknown agent {spec!r}; valid agents: "
                                f"{', '.join(agent_names())}")
    if kind.required and not argument:
        raise UnknownAgentError(kind.missing or f"the {name} agent needs a "
                                f"{kind.argument.lower()}: --agent {name}:{kind.argument}")
    if argument and not kind.argument:
        raise UnknownAgentError(f"the {name} agent takes nothing after its name; use --agent "
                                f"{name}")
    # a shipped policy by short name (rig:crafter) resolves
    if name in ("rig", "oracle", "judge", "judge-weighted", "judge-value"):
        argument = resolve_model(argument, "policy")
    return AgentSpec(name, argument)


def rig_checkpoint(spec: str | AgentSpec | None) -> str | None:
    """The checkpoint folder a `rig:PATH` spec names; None for any other agent or spec (for
    commands that take only RIG policies: `rig eval scaling`, `rig eval imagination`, ...)."""
    try:
        parsed = parse_agent(spec) if spec is not None else None
    except UnknownAgentError:
        return None
    return parsed.argument if parsed is not None and parsed.name == "rig" else None


def make_agent(spec: str | AgentSpec, env, seed: int | None = None, viewer=None,
               **policy_options) -> Agent:
    """Build the agent named by `spec` for the world `env`.

    `viewer` is the live window; only the human agent needs it (it reads the keyboard there).
    `policy_options` go to the RIG policy (`RigPolicy`): `imagine=False` skips the imagined
    frame (faster evaluation), `device` ("auto": a GPU when torch sees one), `temperature`
    (reasoning and actions; 0: greedy), `lookahead` and `candidates` (RIG-lookahead).
    """
    parsed = parse_agent(spec)
    return parsed.kind.build(parsed, env, seed=seed, viewer=viewer, **policy_options)


def make_agents(spec: str, envs: list, seed: int | None = None, viewer=None, **policy_options):
    """Agents for K worlds played in lockstep: one agent when it is batched (it decodes all the
    worlds together, e.g. the RIG policy), else one agent per world (agents keep per-episode
    state). `rollout.run_batch` takes either."""
    options = dict(seed=seed, viewer=viewer, **policy_options)
    spec = parse_agent(spec)
    first = make_agent(spec, envs[0], **options)
    if first.batched:
        return first
    return [first] + [make_agent(spec, env, **options) for env in envs[1:]]


def agents_in(agents: Agent | list[Agent]) -> list[Agent]:
    """Every agent of what `make_agents` returned (one batched agent, or one per world)."""
    return agents if isinstance(agents, list) else [agents]


def check_world_and_agent(world_id: str, spec: str, **policy_options) -> None:
    """Build the world and the agent once (with `policy_options`, on the CPU) and close them,
    so that an unknown world, agent, checkpoint or option the policy refuses fails here with
    its clear error, before any worker process starts."""
    import rig.worlds

    env = rig.worlds.make(world_id)
    try:
        make_agent(spec, env, **{**policy_options, "device": "cpu"}).close()
    finally:
        env.close()
