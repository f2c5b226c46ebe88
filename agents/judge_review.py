"""Best-of-N judged on the imagined outcome: the policy's own review picks among its proposals.

Role in the data flow: `--agent judge:PATH --candidates N --lookahead H` (rig play, rig eval,
`rig eval scaling --modes judged`). Each step the RIG policy at PATH samples N proposals for the
same observation, as the oracle (`agents/oracle_review.py`) does; each is imagined H steps ahead
and reviewed by the policy itself, which ends at its verdict (no correction is written). The
reviewer's confidence in a proposal is P(accept) / (P(accept) + P(revise)) at its verdict,
averaged over the samples that proposed the same action. The policy's own first sample is acted
on unless its reviewer leans to revise (confidence below one half); then the proposal it is
most confident in is.

Why: issue 22's decomposition compares (b), the best of N proposals by their real outcome, with
(c), the same proposals judged on the imagined one. RIG-lookahead (`--agent rig:PATH
--lookahead H`) judges differently: it revises by writing a correction, so a gap between the two
can come from the corrections as well as from the judge. This agent changes only the judge.
Context-1 policies only, as the oracle: the N decoding slots carry no earlier steps.
"""

from __future__ import annotations

from typing import Any

from rig.config import ConfigError

from .base import Agent, Decision


class JudgeReview(Agent):
    """The policy's proposal unless its own review of the imagined outcome leans to revise."""

    name = "judge"

    def __init__(self, env, path: str, seed: int | None = None, candidates: int = 4,
                 lookahead: int = 1, device: str = "cpu", temperature: float = 1.0, **_):
        from .rig_agent import RigPolicy

        if candidates < 1 or lookahead < 1:
            raise ConfigError("the judge needs --candidates >= 1 and --lookahead >= 1 (the "
                              "imagined steps it reviews)")
        self.policy = RigPolicy(env, path, seed=seed, device=device, temperature=temperature,
                                imagine=False, lookahead=lookahead, candidates=1, correct=False)
        self.policy.set_drawing(False)
        if self.policy.sequence.context_steps != 1:
            raise ConfigError(f"the judge reviews policies that see one step (context 1); "
                              f"{path} sees {self.policy.sequence.context_steps}")
        self.candidates, self.horizon = int(candidates), int(lookahead)
        self.reset(seed)

    batched = True  # K worlds decode together: K x N rows of one decoder batch

    def reset(self, seed: int | None = None) -> None:
        self.reset_batch([seed])

    def reset_batch(self, seeds: list[int | None]) -> None:
        self.policy.reset_batch([seed for seed in seeds for _ in range(self.candidates)])
        self.stats = [{"judge_steps": 0, "judge_changed": 0, "generated_tokens": 0,
                       "reviewed_steps": 0, "revised_steps": 0} for _ in seeds]

    def episode_stats(self, world: int = 0) -> dict[str, int]:
        return dict(self.stats[world])

    def set_drawing(self, frames: bool, rollouts: bool = False) -> None:
        self.policy.set_drawing(frames, rollouts)

    def close(self) -> None:
        self.policy.close()

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        return self.act_batch([obs], [info])[0]

    def act_batch(self, observations: list, infos: list) -> list[Decision | None]:
        n = self.candidates
        spread = self.policy.act_batch([o for o in observations for _ in range(n)],
                                       [i for i in infos for _ in range(n)])
        return [None if observations[w] is None else self._judge(w, spread[w * n:(w + 1) * n])
                for w in range(len(observations))]

    def _judge(self, world: int, decisions: list[Decision]) -> Decision:
        """World `world`'s decision from its N proposals (see the module docstring)."""
        shares: dict[str, list[float]] = {}
        for d in decisions:
            shares.setdefault(d.action_text, []).extend(d.extras["accept_shares"][:1])
        confidence = {a: sum(s) / len(s) if s else 1.0 for a, s in shares.items()}
        first = decisions[0].action_text
        best = first
        if confidence[first] < 0.5:  # its reviewer leans to revise: the one it trusts most
            best = max(confidence, key=lambda a: (confidence[a], a == first))
        chosen = next(d for d in decisions if d.action_text == best)
        for row in range(world * self.candidates, (world + 1) * self.candidates):
            self.policy.overrule(best, row)  # every row's past actions: the executed ones
        stats = self.stats[world]
        stats["judge_steps"] += 1
        stats["reviewed_steps"] += 1
        stats["revised_steps"] += confidence[first] < 0.5
        stats["judge_changed"] += best != first
        stats["generated_tokens"] += sum(d.extras["generated_tokens"] for d in decisions)
        chosen.review = "imagined outcome over {} step(s), P(accept): {}".format(
            self.horizon, ", ".join(f"{a} {c:.2f}" for a, c in confidence.items()))
        chosen.extras = dict(chosen.extras, judge_confidence=confidence, judge_first=first)
        return chosen
