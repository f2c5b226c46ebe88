"""Best-of-N judged on the imagined outcome: the policy's own review picks among its proposals.

Role in the data flow: `--agent judge:PATH --candidates N --lookahead H` (rig play, rig eval,
`rig eval scaling --modes judged`). Each step the RIG policy at PATH samples N proposals for the
same observation, as the oracle (`agents/oracle_review.py`) does. Where they name more than one
action, each distinct proposal (its reasoning and action, as sampled) is imagined H steps ahead
and reviewed by the policy itself, which stops at its verdict (no correction is written). The
reviewer's confidence in a proposal is P(accept) / (P(accept) + P(revise)) at its verdict. The
policy's own first sample is acted on unless its reviewer leans to revise (confidence below one
half); then the proposal it is most confident in is. Where all N agree, nothing is reviewed,
as the oracle tries no branch then.

`--agent judge-weighted:PATH` weighs the reviewer's confidence by how often the policy proposed
each action: it acts on the proposal with the largest share-of-N x P(accept), ties to the first.
Why: the policy's samples are its prior over actions and the review a likelihood of a good
outcome; the plain judge throws the prior away, so a proposal sampled once in four can displace
one sampled three times on a small lean of a noisy reviewer (on `runs/judge-scratch` the judge
changed 20% of the actions two steps ahead where the real-outcome oracle changed 3%). No
threshold is tuned: with one proposal each, the rule is the plain judge's argmax.

`--agent judge-value:PATH` reads P(accept) as a value, for reviewers trained with `rig train
policy --verdict-target value`, whose P(accept) share is (E[v] + 1) / 2 for the proposal's
expected outcome v: it acts on the proposal with the largest share when that beats the first
sample's by more than a margin (`--judge-margin`; by default `VALUE_MARGIN`, 0.05 of the share:
0.1 of reward, one health point), else on the first, as the real-outcome oracle takes the most
rewarding branch, ties to the first sample. A reviewer whose shares crowd round one half (a
value regressed towards the mean) needs a smaller margin than the reward's unit: `rig eval
verdict` scores the value rule at several margins on validation seeds to choose it there, never
on evaluation seeds.

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


def judge_inputs(proposals: list[Decision | None], distinct: list[Decision],
                 reviews: list[Decision]) -> tuple[list[float], list[int]]:
    """Each distinct proposal's P(accept) share at its review's verdict, and how many of the
    N proposals name it: what `judge_pick` decides from (and `rig eval verdict` records)."""
    confidence = [float(r.extras["accept_shares"][0]) for r in reviews]
    votes = [sum(p is not None and p.action_text == d.action_text for p in proposals)
             for d in distinct]
    return confidence, votes


VALUE_MARGIN = 0.05  # the value judge's switching margin, in P(accept) share: 0.1 reward
JUDGE_RULES = ("judge", "weighted", "value")


def first_max(values: list[float]) -> int:
    """The index of the largest value, ties to the earliest (the policy's own first sample)."""
    return max(range(len(values)), key=lambda i: (values[i], -i))


def judge_pick(confidence: list[float], votes: list[int], rule: str = "judge",
               margin: float = VALUE_MARGIN) -> int:
    """Which of the distinct proposals a judge acts on (0: the policy's own first sample):
    `confidence` is each one's P(accept) share, `votes` how many of the N samples named it.
    The plain judge keeps the first unless its reviewer leans to revise (below one half), then
    takes the most confident; the weighted judge takes the largest votes x confidence; the
    value judge takes the most confident where it beats the first by more than `margin`.
    Ties go to the earlier proposal. `rig eval verdict` scores these same rules against real
    outcomes."""
    if rule not in JUDGE_RULES:
        raise ValueError(f"unknown judge rule {rule!r}; rules: {', '.join(JUDGE_RULES)}")
    if rule == "weighted":  # the policy's prior (its share of the N samples) x the review
        return first_max([v * c for v, c in zip(votes, confidence)])
    best = first_max(confidence)
    if rule == "value":  # the highest expected outcome, where clearly above the first's
        return best if confidence[best] > confidence[0] + margin else 0
    return best if confidence[0] < 0.5 else 0  # the plain judge: where its review leans to revise


class JudgeReview(Agent):
    """The policy's proposal unless its own review of the imagined outcome leans to revise."""

    name = "judge"
    batched = True  # K worlds decode together: K x N rows of one decoder batch

    rule = "judge"  # judge_pick's rule: judge, weighted (judge-weighted), value (judge-value)

    def __init__(self, env, path: str, seed: int | None = None, candidates: int = 4,
                 lookahead: int = 1, device: str = "cpu", temperature: float = 1.0,
                 judge_margin: float | None = None, **_):
        from .rig_agent import RigPolicy

        if candidates < 1 or lookahead < 1:
            raise ConfigError("the judge needs --candidates >= 1 and --lookahead >= 1 (the "
                              "imagined steps it reviews)")
        if judge_margin is not None and (self.rule != "value" or not 0 <= judge_margin < 1):
            raise ConfigError("--judge-margin is the judge-value agent's switching margin, a "
                              f"share in [0, 1); got {judge_margin} for the {self.name} agent")
        # the value rule's margin (the other rules have none)
        self.margin = VALUE_MARGIN if judge_margin is None else float(judge_margin)
        # two decoders over the same weights: one samples the proposals, the other restates
        # the distinct ones, imagines their outcome and reviews it
        self.proposer = RigPolicy(env, path, seed=seed, device=device, temperature=temperature,
                                  imagine=False)
        if self.proposer.sequence.context_steps != 1:
            raise ConfigError(f"the judge reviews policies that see one step (context 1); "
                              f"{path} sees {self.proposer.sequence.context_steps}")
        if self.proposer.open_actions:
            raise ConfigError("the judge reviews closed action languages only (one token an "
                              "action); this world's actions are open text")
        self.reviewer = RigPolicy(env, path, seed=seed, device=device, temperature=temperature,
                                  imagine=False, lookahead=lookahead, candidates=1,
                                  correct=False)
        self.set_drawing(False)
        self.candidates, self.horizon = int(candidates), int(lookahead)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self.reset_batch([seed])

    def reset_batch(self, seeds: list[int | None]) -> None:
        rows = [seed for seed in seeds for _ in range(self.candidates)]
        self.proposer.reset_batch(rows)
        self.reviewer.reset_batch(rows)
        self.executed: list[list[str]] = [[] for _ in seeds]  # per world, what was acted on
        self.stats = [{"judge_steps": 0, "judge_changed": 0, "generated_tokens": 0,
                       "reviewed_steps": 0, "revised_steps": 0} for _ in seeds]

    def episode_stats(self, world: int = 0) -> dict[str, int]:
        return dict(self.stats[world])

    def set_drawing(self, frames: bool, rollouts: bool = False) -> None:
        self.proposer.set_drawing(False)
        self.reviewer.set_drawing(frames, rollouts)

    def close(self) -> None:
        self.proposer.close()
        self.reviewer.close()

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        return self.act_batch([obs], [info])[0]

    def act_batch(self, observations: list, infos: list) -> list[Decision | None]:
        n, k = self.candidates, len(observations)
        spread_infos = [i for i in infos for _ in range(n)]
        proposals = self.proposer.act_batch([o for o in observations for _ in range(n)],
                                            spread_infos)
        # the distinct proposals of each world, restated in that world's first rows
        review_obs, forced = [None] * (k * n), [None] * (k * n)
        distinct: list[list[Decision]] = []
        for w in range(k):
            mine: dict[str, Decision] = {}
            for d in proposals[w * n:(w + 1) * n]:
                if d is not None:
                    mine.setdefault(d.action_text, d)
            distinct.append(list(mine.values()))
            if len(mine) > 1:
                for i, d in enumerate(distinct[w]):
                    review_obs[w * n + i] = observations[w]
                    forced[w * n + i] = d.extras["proposal_ids"]
        reviews = self.reviewer.act_batch(review_obs, spread_infos, forced) \
            if any(o is not None for o in review_obs) else [None] * (k * n)
        decisions: list[Decision | None] = []
        for w in range(k):
            if observations[w] is None:
                decisions.append(None)
                continue
            mine = [reviews[w * n + i] for i in range(len(distinct[w]))] \
                if len(distinct[w]) > 1 else []
            decisions.append(self._judge(w, proposals[w * n:(w + 1) * n], distinct[w], mine))
            self.executed[w].append(decisions[-1].action_text)
        for policy in (self.proposer, self.reviewer):  # every row lists the executed actions
            policy.history = [list(self.executed[r // n]) for r in range(k * n)]
        return decisions

    def _judge(self, world: int, proposals: list[Decision], distinct: list[Decision],
               reviews: list[Decision]) -> Decision:
        """World `world`'s decision from its N proposals and the reviews of the distinct ones
        (none where all N agree)."""
        stats = self.stats[world]
        stats["judge_steps"] += 1
        stats["generated_tokens"] += sum(d.extras["generated_tokens"]
                                         for d in proposals + reviews)
        first = distinct[0]
        if not reviews:
            first.extras = dict(first.extras, judge_confidence={},
                                judge_first=first.action_text)
            return first
        shares, votes = judge_inputs(proposals, distinct, reviews)
        confidence = {d.action_text: c for d, c in zip(distinct, shares)}
        best = judge_pick(shares, votes, self.rule, self.margin)
        chosen, review = distinct[best], reviews[best]
        stats["reviewed_steps"] += 1
        stats["revised_steps"] += confidence[first.action_text] < 0.5
        stats["judge_changed"] += best != 0
        chosen.review = "imagined outcome over {} step(s), P(accept): {}".format(
            self.horizon, ", ".join(f"{a} {c:.2f}" for a, c in confidence.items()))
        chosen.imagined_frame, chosen.imagined_tokens = review.imagined_frame, \
            review.imagined_tokens
        chosen.extras = dict(chosen.extras, judge_confidence=confidence,
                             judge_first=first.action_text,
                             judge_votes={d.action_text: v for d, v in zip(distinct, votes)})
        return chosen


class WeightedJudgeReview(JudgeReview):
    """The proposal with the largest share-of-N x P(accept) (see the module docstring)."""

    name = "judge-weighted"
    rule = "weighted"


class ValueJudgeReview(JudgeReview):
    """The proposal with the highest expected outcome by a value-trained reviewer (above)."""

    name = "judge-value"
    rule = "value"
