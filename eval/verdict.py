"""`rig eval verdict`: the reviewer's verdict alone, scored against the real outcome, no play.

Role in the data flow: issue 22's decomposition in closed loop says a perfect judge of the real
outcome two steps ahead lifts the score 1.40x while the policy's own judge of the imagined
outcome adds nothing (docs/lookahead.md). A play score mixes the verdict with everything else
(which states come up, how long episodes last), so this command asks the verdict's own question
on the policy's own states. Each seed is played by the plain policy (its first sample is acted
on, as `--agent rig:` plays at lookahead 0). At every step where its N proposals name more than
one action, each distinct proposal is

- judged as `--agent judge:` judges it: the policy restates it, imagines H steps ahead and
  reviews them; its P(accept) share at the verdict (agents/judge_review.py), and
- valued as `--agent oracle:` values it: tried in a branch of the real world, the policy
  continuing there for H - 1 more steps, the reward earned minus 1 for a death
  (agents/oracle_review.py).

From those records the pick rules are scored side by side, each as the reward it would gain
over the policy's own first sample, per environment step, with a 95% interval from resampling
episodes: the first sample (0 by definition), a random one of the N samples (sampling alone),
the majority of the N, the judge, the weighted judge, the value judge (for reviewers trained
with `--verdict-target value`), and the oracle (the ceiling; its values
are single samples of a stochastic continuation, as in play). Also: how often each rule changes
the action, how often it picks a best proposal where the values differ ("decisive" states), the
share of the oracle's gain it captures, and the pairwise AUC of P(accept) on decisive states
(0.5: the verdict does not rank outcomes at all), also by what sets their proposals apart (a
death, an achievement, health alone). `--json` keeps every record.

`--real-frames` splits the verdict's failure in two: each distinct proposal is reviewed again
with what really followed it in its branch (the frames, and the policy's later actions there)
in place of what the policy imagines, so the same reviewer is scored reading the real outcome
and reading its imagined one. Where both rank outcomes poorly the reviewer's reading is what
limits it; where only the imagined one does, imagination is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require

# the value rule at other margins than the judge-value agent's default ("value", 0.05), so
# that `--judge-margin` is chosen on these validation records
VALUE_RULES = {f"value, margin {m:g}": m for m in (0.0, 0.02, 0.1)}
RULES = ("first", "random of N", "majority", "judge", "weighted", "value", *VALUE_RULES,
         "oracle")


@dataclass
class EvalVerdictConfig:
    agent: str = option("", "the policy whose proposals and verdicts are scored: rig:OUT/final "
                        "(context 1, closed action language)")
    world: str = option("rig/Crafter-v0", "world id")
    candidates: int = option(4, "proposals sampled per step (N)")
    lookahead: int = option(2, "steps ahead that each proposal is imagined and, in a branch of "
                            "the real world, played (H)")
    real_horizon: int | None = option(None, "steps each proposal is played in its branch of "
                                      "the real world, the value it is scored by (none: "
                                      "--lookahead); more than --lookahead for a reviewer "
                                      "taught outcomes farther ahead than it imagines (rig "
                                      "data review --horizon H --continue-with policy)")
    episodes: int = option(20, "episodes, one per seed, from --seed upward")
    seed: int = option(3000, "first seed: validation seeds by default, keep the evaluation "
                       "seeds (2000+) for closed-loop figures")
    max_steps: int = option(10000, "horizon per episode (the plain policy plays it)")
    workers: int = option(0, "worker processes, one episode at a time each (0: one per core)")
    threads: int = option(0, "torch CPU threads of each worker (0: the cores shared out)")
    device: str = option("cpu", "torch device of the policy")
    temperature: float = option(1.0, "sampling temperature of proposals, imagination and review")
    json: str | None = option(None, "write the summary and every reviewed state's record here")
    real_frames: bool = option(False, "also review each proposal reading the real outcome of "
                               "its branch instead of its imagined one (one more review a "
                               "proposal): is it the reading or the imagining that fails?")

    def validate(self) -> None:
        from rig.agents import rig_checkpoint

        require(rig_checkpoint(self.agent) is not None,
                "--agent must name a RIG policy checkpoint: rig:OUT/final")
        require(self.candidates >= 2, "--candidates must be at least 2: a verdict needs "
                "proposals to choose among")
        require(self.lookahead >= 1, "--lookahead must be at least 1")
        require(self.real_horizon is None or self.real_horizon >= 1,
                "--real-horizon must be at least 1")
        require(not self.real_frames or self.real_horizon in (None, self.lookahead),
                "--real-frames reviews the branch's frames in place of the imagined ones, "
                "so its branches must be --lookahead steps long: leave --real-horizon out")
        require(self.episodes >= 1, "--episodes must be at least 1")
        require(self.max_steps >= 1, "--max-steps must be at least 1")
        require(self.workers >= 0 and self.threads >= 0, "--workers and --threads must be >= 0")

    @property
    def branch_steps(self) -> int:
        """Steps each real branch is played: --real-horizon, else --lookahead."""
        return self.lookahead if self.real_horizon is None else self.real_horizon


# -- one worker: a world, the judge's two decoders and the oracle's -------------------------------
def verdict_worker(world: str, path: str, candidates: int, lookahead: int, device: str,
                   temperature: float, real_frames: bool = False,
                   real_horizon: int | None = None) -> dict:
    import rig.worlds
    from rig.agents.judge_review import JudgeReview
    from rig.agents.oracle_review import OracleReview
    from rig.agents.rig_agent import RigPolicy

    class FirstSampleJudge(JudgeReview):
        """The judge's proposals and reviews, kept; the policy's own first sample acted on."""

        def _judge(self, world, proposals, distinct, reviews):
            self.seen = (proposals, distinct, reviews)
            return distinct[0]

    env = rig.worlds.make(world)
    options = dict(seed=0, candidates=candidates, lookahead=lookahead, device=device,
                   temperature=temperature)
    judge, real = FirstSampleJudge(env, path, **options), None
    if real_frames:  # the judge's reviewer again, its own rows: given what really followed
        real = RigPolicy(env, path, seed=0, device=device, temperature=temperature,
                         imagine=False, lookahead=lookahead, candidates=1, correct=False)
        real.set_drawing(False)
    oracle = OracleReview(env, path, **dict(options, lookahead=real_horizon or lookahead))
    return {"env": env, "judge": judge, "oracle": oracle, "real": real}


def probe_episode(worker: dict, seed: int, max_steps: int) -> dict:
    """Play seed `seed` with the policy's first sample; record every state whose proposals
    differ: the distinct actions, their votes among the N, P(accept) and real-branch value."""
    from rig.agents.judge_review import judge_inputs

    env, judge, oracle, real = worker["env"], worker["judge"], worker["oracle"], worker["real"]
    judge.reset(seed)
    oracle.reset(seed)
    if real is not None:
        real.reset_batch([seed] * judge.candidates)
    obs, info = env.reset(seed=seed)
    executed: list[str] = []
    records, steps = [], 0
    while steps < max_steps:
        decision = judge.act(obs, info)
        proposals, distinct, reviews = judge.seen
        if len(distinct) > 1:
            # the continuation rows list what was really executed, as in the oracle's play
            oracle.policy.history = [list(executed) for _ in range(oracle.candidates)]
            values = oracle.branch_values([int(d.action) for d in distinct])
            confidence, votes = judge_inputs(proposals, distinct, reviews)
            records.append({
                "seed": seed, "step": steps, "actions": [d.action_text for d in distinct],
                "votes": votes, "confidence": confidence,
                "values": [float(v) for v in values]})
            if real is not None:
                records[-1]["confidence_real"] = _real_confidence(real, obs, info, distinct,
                                                                  oracle.branch_outcomes)
        executed.append(decision.action_text)
        obs, _, terminated, truncated, info = env.step(decision.action)
        steps += 1
        if terminated or truncated:
            break
    return {"seed": seed, "steps": steps, "records": records}


def _real_confidence(real, obs, info, distinct, outcomes) -> list[float]:
    """P(accept) of each distinct proposal, reviewed reading its branch's real frames (a branch
    that ended early leaves the rest to the policy's imagining, as a review example does not)."""
    rows = len(real.history)
    forced = [None] * rows
    for i, d in enumerate(distinct):
        frames, actions = outcomes[i]
        forced[i] = list(d.extras["proposal_ids"]) + real.outcome_ids(frames, actions)
    observations = [obs if i < len(distinct) else None for i in range(rows)]
    reviews = real.act_batch(observations, [info] * rows, forced)
    return [float(reviews[i].extras["accept_shares"][0]) for i in range(len(distinct))]


# -- the figures ----------------------------------------------------------------------------------
def rule_gain(rule: str, record: dict) -> tuple[float, float, float]:
    """(value gained over the first sample, chance of changing the action, chance of picking a
    best proposal) of `rule` at one reviewed state; the random rule in expectation."""
    from rig.agents.judge_review import first_max, judge_pick

    values, votes, confidence = record["values"], record["votes"], record["confidence"]
    best = max(values)
    if rule == "random of N":
        n = sum(votes)
        return (sum(k * v for k, v in zip(votes, values)) / n - values[0],
                1 - votes[0] / n, sum(k for k, v in zip(votes, values) if v == best) / n)
    if rule in VALUE_RULES:
        pick = judge_pick(confidence, votes, "value", VALUE_RULES[rule])
    else:
        pick = {"first": lambda: 0,
                "majority": lambda: first_max(votes),
                "judge": lambda: judge_pick(confidence, votes, "judge"),
                "weighted": lambda: judge_pick(confidence, votes, "weighted"),
                "value": lambda: judge_pick(confidence, votes, "value"),
                "oracle": lambda: first_max(values)}[rule]()
    return values[pick] - values[0], float(pick != 0), float(values[pick] == best)


def pairwise_auc(records: list[dict]) -> tuple[float | None, int]:
    """P(the better of two proposals has the higher P(accept)), ties counting one half, over
    every pair of a state whose real values differ; and the number of such pairs."""
    score, pairs = 0.0, 0
    for r in records:
        for i in range(len(r["values"])):
            for j in range(len(r["values"])):
                if r["values"][i] > r["values"][j]:
                    pairs += 1
                    ci, cj = r["confidence"][i], r["confidence"][j]
                    score += 1.0 if ci > cj else 0.5 if ci == cj else 0.0
    return (score / pairs if pairs else None), pairs


DECISIVE_KINDS = ("death", "achievement", "health")


def decisive_kind(record: dict) -> str:
    """What sets a decisive state's proposals apart: a death (a branch worth -1 or less), else
    an achievement (one worth +0.9 or more: an unlock, less at most a health point), else
    health alone. The verdict can read these differently (a death shows in the proposal's own
    outcome; an unlock elsewhere does not)."""
    if min(record["values"]) <= -0.9:
        return "death"
    return "achievement" if max(record["values"]) >= 0.9 else "health"


def summarize_verdicts(episodes: list[dict], resamples: int = 2000, seed: int = 0) -> dict:
    """Every rule's gain per step (95% interval over resampled episodes), changes and hits."""
    import numpy as np

    steps = sum(e["steps"] for e in episodes)
    records = [r for e in episodes for r in e["records"]]
    decisive = [r for r in records if max(r["values"]) > min(r["values"])]
    # every rule at every reviewed state, once: (gain, changed, best) per rule
    scored = [np.array([[rule_gain(rule, r) for rule in RULES] for r in e["records"]]
                       ).reshape(-1, len(RULES), 3) for e in episodes]
    table = np.concatenate(scored)
    is_decisive = np.array([max(r["values"]) > min(r["values"]) for r in records], dtype=bool)
    # per episode and rule: summed gain and its steps, for the episode bootstrap
    per_episode = np.array([s[:, :, 0].sum(0) for s in scored])
    lengths = np.array([e["steps"] for e in episodes], dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(episodes), size=(resamples, len(episodes)))
    boot = per_episode[draws].sum(1) / np.maximum(lengths[draws].sum(1), 1)[:, None]
    gains = per_episode.sum(0) / max(steps, 1)
    oracle_gain = gains[RULES.index("oracle")]
    rules = {}
    for k, rule in enumerate(RULES):
        rules[rule] = {
            "gain_per_step": float(gains[k]),
            "gain_ci95": [float(np.percentile(boot[:, k], 2.5)),
                          float(np.percentile(boot[:, k], 97.5))],
            "changed_share": float(table[:, k, 1].sum()) / max(steps, 1),
            "best_on_decisive": (float(table[is_decisive, k, 2].mean()) if decisive else None),
            "oracle_gain_captured": float(gains[k] / oracle_gain) if oracle_gain > 0 else None}
    auc, pairs = pairwise_auc(decisive)
    by_kind = {kind: dict(zip(("pairwise_auc", "pairs"), pairwise_auc(
        [r for r in decisive if decisive_kind(r) == kind]))) for kind in DECISIVE_KINDS}
    real = None
    if records and all("confidence_real" in r for r in records):  # --real-frames
        swapped = [{**e, "records": [{**{k: v for k, v in r.items() if k != "confidence_real"},
                                      "confidence": r["confidence_real"]}
                                     for r in e["records"]]} for e in episodes]
        inner = summarize_verdicts(swapped, resamples, seed)
        real = {"pairwise_auc": inner["pairwise_auc"],
                "rules": {k: inner["rules"][k] for k in ("judge", "weighted", "value")}}
    return {"real_frames": real, "episodes": len(episodes), "steps": steps,
            "reviewed_states": len(records),
            "reviewed_share": len(records) / max(steps, 1), "decisive_states": len(decisive),
            "decisive_share": len(decisive) / max(steps, 1), "pairwise_auc": auc,
            "decisive_pairs": pairs, "auc_by_kind": by_kind, "rules": rules}


# -- the command ----------------------------------------------------------------------------------
def eval_verdict(config: EvalVerdictConfig) -> int:
    import time

    from rich.console import Console
    from rich.table import Table

    from rig.agents import check_world_and_agent, rig_checkpoint
    from rig.rollout import RolloutPool, progress_bar

    check_world_and_agent(config.world, config.agent)
    path = rig_checkpoint(config.agent)
    seeds = list(range(config.seed, config.seed + config.episodes))
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    episodes, start = {}, time.perf_counter()
    ahead = f" (real branches {config.branch_steps})" if config.real_horizon else ""
    with RolloutPool(verdict_worker, (config.world, path, config.candidates, config.lookahead,
                                      config.device, config.temperature,
                                      config.real_frames, config.branch_steps),
                     workers=config.workers, jobs=len(seeds), threads=config.threads) as pool:
        console.print(f"verdicts of {config.agent} on {config.world}: {len(seeds)} episodes "
                      f"(seeds {seeds[0]}..{seeds[-1]}), {config.candidates} proposals, "
                      f"{config.lookahead} step(s) ahead{ahead}, {pool.describe()}")
        progress, task = progress_bar(console, "episodes", len(seeds))
        with progress:
            for result in pool.imap_unordered(probe_episode, [(s, config.max_steps)
                                                              for s in seeds]):
                episodes[result["seed"]] = result
                progress.update(task, advance=1, status=f"last: seed {result['seed']}, "
                                f"{result['steps']} steps, {len(result['records'])} reviewed")
    ordered = [episodes[s] for s in seeds]
    summary = summarize_verdicts(ordered)
    summary.update(agent=config.agent, world=config.world, candidates=config.candidates,
                   lookahead=config.lookahead, real_horizon=config.branch_steps, seeds=seeds,
                   max_steps=config.max_steps, temperature=config.temperature,
                   wall_seconds=time.perf_counter() - start)
    table = Table(title=f"{config.agent}: verdicts against the real outcome, "
                        f"{config.candidates} proposals, {config.lookahead} step(s) ahead"
                        f"{ahead}")
    for name in ("pick rule", "reward gained/step", "95% CI", "changed", "best where decisive",
                 "of the oracle's gain"):
        table.add_column(name, justify="right")
    rows = list(summary["rules"].items())
    if summary["real_frames"]:
        rows += [(f"{k}, real frames", r) for k, r in summary["real_frames"]["rules"].items()]
    for rule, r in rows:
        best = "-" if r["best_on_decisive"] is None else f"{100 * r['best_on_decisive']:.0f}%"
        captured = "-" if r["oracle_gain_captured"] is None else \
            f"{100 * r['oracle_gain_captured']:.0f}%"
        table.add_row(rule, f"{r['gain_per_step']:+.4f}",
                      f"{r['gain_ci95'][0]:+.4f}..{r['gain_ci95'][1]:+.4f}",
                      f"{100 * r['changed_share']:.1f}%", best, captured)
    console.print(table)
    auc = "-" if summary["pairwise_auc"] is None else f"{summary['pairwise_auc']:.3f}"
    console.print(f"{summary['steps']} steps; proposals differed at "
                  f"{100 * summary['reviewed_share']:.1f}%, real outcomes differed at "
                  f"{100 * summary['decisive_share']:.1f}% ({summary['decisive_states']} "
                  f"states); P(accept) ranks the better proposal higher in {auc} of "
                  f"{summary['decisive_pairs']} pairs (0.5: chance)")
    console.print("by what sets the proposals apart: " + ", ".join(
        f"{kind} {'-' if k['pairwise_auc'] is None else format(k['pairwise_auc'], '.3f')} "
        f"({k['pairs']} pairs)" for kind, k in summary["auc_by_kind"].items()))
    if summary["real_frames"]:
        real_auc = summary["real_frames"]["pairwise_auc"]
        console.print("reading the real outcome instead of the imagined one, P(accept) ranks "
                      f"the better proposal higher in "
                      f"{'-' if real_auc is None else f'{real_auc:.3f}'} of the same pairs")
    if config.json:
        out = Path(config.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"summary": summary, "episodes": ordered}, indent=1))
        tmp.replace(out)
        console.print(f"wrote {out}")
    return 0
