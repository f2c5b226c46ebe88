"""Best-of-N reviewed on the real outcome: the ceiling of what review can add to a policy.

Role in the data flow: `--agent oracle:PATH --candidates N --lookahead H` (rig play, rig eval).
Each step the RIG policy at PATH samples N proposals for the same observation; each distinct
proposal is tried in a branch of the real world (`rig.worlds.branch`), followed by H - 1 more
steps of the policy there, and the proposal whose branch earned the most reward is executed
(a branch that dies loses 1 more). Ties go to the first proposal, the policy's own sample, so
where the world says nothing this plays as the policy plays.

`--oracle-futures M` values each proposal by the mean reward of M branches whose chance is
re-drawn (`World.redraw_future`): the judge then knows the world's rules, its state and the
policy, but not the dice the real world will throw (which creature moves where), which no
review of an imagined outcome can know either. The gap between the two oracles is the share of
the ceiling that comes from seeing the future's luck.

Why: RIG-lookahead reviews the *imagined* outcome of a proposal. Against the plain policy
(N = 1), this agent says how much a perfect judge of the *real* outcome, at the same N and H,
would add; if it adds little, better imagination cannot help either, and the bottleneck is the
proposals or the horizon (issue 22, point 1 (b)). It reads the simulator, so it is a
measurement, not a policy to ship. Context-1 policies only: the policy's N decoding slots then
carry no earlier steps that would differ from what was executed.
"""

from __future__ import annotations

from typing import Any

from rig.config import ConfigError

from .base import Agent, Decision

DEATH_PENALTY = 1.0  # a branch that ends the episode counts this much less


class OracleReview(Agent):
    """The best of N proposals by the reward of real branches (see the module docstring)."""

    name = "oracle"

    def __init__(self, env, path: str, seed: int | None = None, candidates: int = 4,
                 lookahead: int = 1, device: str = "cpu", temperature: float = 1.0,
                 oracle_futures: int = 0, **_):
        from .rig_agent import RigPolicy

        if candidates < 1 or lookahead < 0 or oracle_futures < 0:
            raise ConfigError("--candidates must be >= 1, --lookahead and --oracle-futures >= 0")
        self.env = env
        # 0: each branch throws the real world's own dice; M: the mean of M re-drawn futures
        self.futures = int(oracle_futures)
        # proposals and branch continuations come from the policy's own acting path; it
        # reviews nothing itself and draws no imagined pixels
        self.policy = RigPolicy(env, path, seed=seed, device=device, temperature=temperature,
                                imagine=False)
        self.policy.set_drawing(False)
        if self.policy.sequence.context_steps != 1:
            raise ConfigError(f"the oracle reviews policies that see one step (context 1); "
                              f"{path} sees {self.policy.sequence.context_steps}")
        self.candidates, self.horizon = int(candidates), max(1, int(lookahead))
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        import numpy as np

        self.policy.reset_batch([seed] * self.candidates)
        self.dice = np.random.default_rng(seed)  # the seeds of re-drawn futures
        self.stats = {"oracle_steps": 0, "oracle_changed": 0, "oracle_branch_steps": 0}

    def episode_stats(self, world: int = 0) -> dict[str, int]:
        return dict(self.stats)

    def close(self) -> None:
        self.policy.close()

    def _propose(self, observations: list, infos: list) -> list[Decision | None]:
        padded = observations + [None] * (self.candidates - len(observations))
        return self.policy.act_batch(padded, infos + [infos[0]] * (len(padded) - len(infos)))

    def branch_values(self, actions: list[int]) -> list[float]:
        """The reward each first action's branch earns over the horizon (the policy acting in
        every branch after the first step, all branches decoded together); with re-drawn
        futures, the mean over `futures` rounds of branches, each with other dice."""
        if not self.futures:
            return self._branch_round(actions, redraw=False)
        before, rounds = [list(h) for h in self.policy.history], []
        for _ in range(self.futures):
            self.policy.history = [list(h) for h in before]  # each round from the same past
            rounds.append(self._branch_round(actions, redraw=True))
        return [sum(values) / len(rounds) for values in zip(*rounds)]

    def _branch_round(self, actions: list[int], redraw: bool) -> list[float]:
        from rig.worlds import branch

        worlds = [branch(self.env) for _ in actions]
        if redraw:  # one seed for the round: the proposals meet the same (re-drawn) dice
            seed = int(self.dice.integers(2**32))
            for world in worlds:
                world.unwrapped.redraw_future(seed)
        values = [0.0] * len(actions)
        # what each branch showed after each of its steps, and the action that led there (with
        # re-drawn futures: the last round's)
        self.branch_outcomes = [([], []) for _ in actions]
        live = [True] * len(actions)
        observations, infos = [None] * len(actions), [None] * len(actions)
        chosen = list(actions)
        for k in range(self.horizon):
            if k:
                decisions = self._propose([o if alive else None for o, alive in
                                           zip(observations, live)], infos)
                chosen = [d.action if d is not None else None for d in decisions]
            for b, world in enumerate(worlds):
                if not live[b]:
                    continue
                observations[b], reward, terminated, truncated, infos[b] = \
                    world.step(chosen[b])
                self.branch_outcomes[b][0].append(observations[b]["image"])
                self.branch_outcomes[b][1].append(self.policy.language.format(chosen[b]))
                self.stats["oracle_branch_steps"] += 1
                values[b] += float(reward) - (DEATH_PENALTY if terminated else 0.0)
                live[b] = not (terminated or truncated)
            if not any(live):
                break
        for world in worlds:
            world.close()
        return values

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        decisions = self._propose([obs] * self.candidates, [info] * self.candidates)
        proposals = [d.action for d in decisions]
        distinct = list(dict.fromkeys(proposals))
        self.stats["oracle_steps"] += 1
        if len(distinct) == 1:
            return decisions[0]
        # the branches' continuations are decided by the same rows: what they add to the rows'
        # past actions is put back, and every row lists the executed action
        before = [list(h) for h in self.policy.history]
        values = self.branch_values(distinct)
        self.policy.history = before
        best = max(range(len(distinct)), key=lambda i: (values[i], -i))  # ties: the first
        chosen = decisions[proposals.index(distinct[best])]
        for row in range(self.candidates):
            self.policy.overrule(chosen.action_text, row)
        self.stats["oracle_changed"] += best != 0
        names = [self.policy.language.format(a) for a in distinct]
        judged = f"mean of {self.futures} re-drawn futures" if self.futures else "real outcome"
        chosen.review = "{} over {} step(s): {}".format(
            judged, self.horizon, ", ".join(f"{n} {v:+.2f}" for n, v in zip(names, values)))
        return chosen
