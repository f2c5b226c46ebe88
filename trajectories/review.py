"""`rig data review`: lookahead review data from the simulator (RIG's review of imagined outcomes).

Role in the data flow: reads a store recorded with seeds (`rig collect`), writes a review store in
the same format (docs/review-data.md). For each sampled state (episode e, step t) the world is
rebuilt by `reset(seed)` and the recorded actions, each replayed frame checked against the stored
one, while a shadow expert watches the replay so that its plan state matches step t. The world is
then branched once per candidate action (the expert's choice, K other actions drawn at random,
the recorded action and a policy's choice where they differ); each branch takes its candidate,
then follows the expert for the rest of the horizon (or, with `--continue-with policy`, the
reviewed policy, as the real-outcome oracle's branches do). What each branch really did (moves,
blocks, damage, death, inventory, achievements, distance to the expert's target) is compared
with the expert's branch: a verdict ("accept" or "revise"), a short review built only from those
measured facts, and the expert's reasoning and action as the correction. The world is the ground
truth.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rig.config import RigError, option, require, require_parent

from rig.agents.crafter_review import branch, compare, review_text  # noqa: F401 (compare: API)

REVIEW_AGENT = "review"
VERDICTS = ("expert", "outcome")
CONTINUATIONS = ("expert", "policy")
# what an outcome verdict may name as worse: the reward's parts, not the route to a target
OUTCOME_WORSE = ("died", "health", "achievements", "reward")


def outcome_value(facts: dict) -> float:
    """A branch's worth as the real-outcome oracle counts it: reward over the horizon, less
    the oracle's death penalty where the branch died (agents/oracle_review.py)."""
    from rig.agents.oracle_review import DEATH_PENALTY

    return float(facts["reward"]) - (DEATH_PENALTY if facts["died"] else 0.0)


def accept_share_target(review_facts: str) -> float:
    """The verdict as a value (`rig train policy --verdict-target value`): the P(accept) share a
    review example teaches, (v + 1) / 2 for its candidate's own outcome value v (clipped to
    [-1, 1]) from the example's stored `review_facts`. Cross-entropy against this soft target
    is least where P(accept) = (E[v] + 1) / 2, so the reviewer's P(accept) regresses the
    expected outcome of the proposal it reads (two-hot regression on the atoms -1 and +1), and
    a judge that ranks proposals by it ranks them as the real-outcome oracle does. Why: the
    stored verdict is relative ("another candidate of this state earned more"), which a
    proposal's own imagined outcome does not show; its own value is what it shows."""
    try:
        facts = json.loads(review_facts)["candidate"]
        value = outcome_value(facts)
    except (ValueError, KeyError, TypeError) as error:
        raise RigError(f"a review example's review_facts is unreadable ({error}); review the "
                       "source store again with this version of `rig data review`") from error
    return (min(1.0, max(-1.0, value)) + 1.0) / 2.0


@dataclass
class DataReviewConfig:
    data: str | None = option(None, "source trajectory store, recorded with seeds (rig collect)")
    out: str | None = option(None, "review store to create or append to (resumable)")
    episodes: int | None = option(None, "review the first N source episodes; none: all")
    every: int = option(10, "review steps 0, N, 2N, ... of each source episode")
    samples_per_episode: int | None = option(None, "review K random steps per episode (seeded) "
                                             "instead of every N-th")
    horizon: int = option(6, "steps per branch: the candidate action, then --continue-with's")
    continue_with: str = option("expert", "who acts in a branch after its candidate: expert "
                                "(the shadow expert's plan) or policy (--policy, all branches "
                                "of a state from one sampling seed, as the real-outcome "
                                "oracle's branches continue: the outcome a judge of that "
                                "policy's proposals should predict)")
    poor_actions: int = option(3, "other actions drawn per state, uniformly among those the "
                               "expert did not choose")
    expert: str | None = option(None, "the expert that continues each branch and writes the "
                                "corrections (expert or expert:VIEW); none: the expert that "
                                "recorded the source episode, else expert")
    policy: str | None = option(None, "rig:CKPT: also review this policy's own choice where it "
                                "differs from the expert's")
    policy_samples: int = option(1, "with --policy: decisions sampled from it per state (each "
                                 "distinct action it chose is reviewed, with the reasoning it "
                                 "chose it with): the proposals a reviewer sees at test time")
    tolerance: int = option(0, "tiles a candidate may end farther from the expert's target than "
                            "the expert's branch and still be accepted")
    verdict_by: str = option("expert", "what a verdict asks: expert (revise what did worse than "
                             "the expert's branch on any measured fact, its target distance "
                             "included) or outcome (revise what earned less than the best "
                             "candidate of the same state: reward over the horizon, -1 for a "
                             "death, as the real-outcome oracle values branches; use "
                             "--horizon 2 for a judge two steps ahead)")
    seed: int = option(0, "seed of the step sampling, the drawn actions and the wording")
    workers: int = option(1, "worker processes, each reviewing whole source episodes (0: one per "
                          "CPU core)")
    threads: int = option(0, "torch CPU threads of each worker, or of this process with one "
                          "worker (0: the cores shared out); give 1 beside another busy "
                          "process: more threads than free cores collapse a --policy's speed")

    def validate(self) -> None:
        require(self.data is not None, "--data is required: the store to review")
        require(self.out is not None, "--out is required: the review store to write")
        require(Path(self.data).resolve() != Path(self.out).resolve(),
                "--out must differ from --data")
        require(self.episodes is None or self.episodes >= 1, "--episodes must be at least 1")
        require(self.every >= 1, f"--every must be at least 1, got {self.every}")
        require(self.samples_per_episode is None or self.samples_per_episode >= 1,
                "--samples-per-episode must be at least 1")
        require(self.horizon >= 1, f"--horizon must be at least 1, got {self.horizon}")
        require(self.poor_actions >= 0, "--poor-actions must be >= 0")
        require(self.policy_samples >= 1, "--policy-samples must be at least 1")
        require(self.tolerance >= 0, "--tolerance must be >= 0")
        require(self.continue_with in CONTINUATIONS, f"--continue-with takes "
                f"{' or '.join(CONTINUATIONS)}, got {self.continue_with!r}")
        require(self.continue_with != "policy" or self.policy is not None,
                "--continue-with policy needs --policy rig:CKPT: the policy that acts in the "
                "branches")
        require(self.verdict_by in VERDICTS, f"--verdict-by takes {' or '.join(VERDICTS)}, got "
                f"{self.verdict_by!r}")
        require(self.workers >= 0, "--workers must be >= 0")
        require(self.threads >= 0, "--threads must be >= 0")
        from rig.agents import rig_checkpoint

        require(self.policy is None or rig_checkpoint(self.policy) is not None,
                f"--policy must be rig:CKPT (a folder saved by `rig train policy`), got "
                f"{self.policy!r}")
        require(self.expert is None or is_expert(self.expert),
                f"--expert must be expert or expert:VIEW, got {self.expert!r}")
        require_parent(self.out, "--out")


# -- one source episode ---------------------------------------------------------------------------
def review_episode(env, source, index: int, steps: list[int], done: set, config, policy=None):
    """Yield (example episode dict, verdict, kind) for the sampled steps of source episode
    `index`, skipping (step, candidate action text) pairs in `done`."""
    import numpy as np

    from rig.agents import make_agent

    from .episode import EpisodeBuilder
    from .store import StoreError
    ep = source.episode(index, keys=["image", "action"])
    meta = ep["meta"]
    seed, world_id, agent_name = int(meta["seed"]), str(meta["world_id"]), str(meta["agent"])
    names = env.get_wrapper_attr("action_language")
    # the shadow is the expert that recorded the episode (its view and wording: the
    # corrections then teach what the store taught), or --expert where the store names none
    expert = make_agent(shadow_expert(agent_name, config.expert), env)
    expert.reset(seed=seed)
    obs, info = env.reset(seed=seed)
    wanted, last = set(steps), max(steps)
    for t in range(last + 1):
        if not np.array_equal(obs["image"], ep["image"][t]):
            bad = int((obs["image"] != ep["image"][t]).any(-1).sum())
            raise StoreError(
                f"{source.path}: episode {index} (seed {seed}) step {t}: the replayed frame "
                f"differs from the stored one in {bad} pixels; the store was not recorded by "
                f"this deterministic world, or the world changed since "
                f"({meta['world_version']})")
        decision = expert.act(obs, info)
        if t in wanted and not info["sleeping"]:
            yield from _review_state(env, obs, info, decision, expert, int(ep["action"][t]),
                                     (index, t, seed, world_id, agent_name, meta), done,
                                     config, policy, names, EpisodeBuilder)
        obs, _, terminated, truncated, info = env.step(int(ep["action"][t]))
        if (terminated or truncated) and t < last:
            raise StoreError(f"{source.path}: episode {index} (seed {seed}) ends at step {t} in "
                             f"the replay but was recorded longer: the world changed since")


def is_expert(spec: str) -> bool:
    """Whether an agent spec (a command line's, or a store's `agent`) names the world's expert."""
    from rig.agents import UnknownAgentError, parse_agent

    try:
        return parse_agent(spec).name == "expert"
    except UnknownAgentError:
        return False


def shadow_expert(recorded_by: str, override: str | None = None) -> str:
    """The expert whose plan and words a review follows: `override` (--expert), else the
    expert that recorded the source episode (`expert:player,act-first`), else `expert`."""
    if override:
        return override
    return recorded_by if is_expert(recorded_by) else "expert"


def continuation(expert, policy, config, seed: int, t: int):
    """The agent that acts in one branch after its candidate: a copy of the shadow expert
    (its plan state must not leak between branches), or the reviewed policy reset to one
    sampling seed per state, so that every branch of a state continues on the same random
    draws and differs by its candidate (and a resumed review draws them again)."""
    import copy

    import numpy as np

    if config.continue_with == "expert":
        return copy.deepcopy(expert)
    policy.reset(seed=int(np.random.default_rng([config.seed, seed, t, 1]).integers(2 ** 31)))
    return policy


def _review_state(env, obs, info, decision, expert, recorded, where, done, config, policy,
                  names, builder_cls):
    import numpy as np

    from rig.agents.base import Decision
    index, t, seed, world_id, agent_name, meta = where
    rng = np.random.default_rng([config.seed, seed, t])
    target = decision.extras.get("target_name")
    cands = [(int(decision.action), "expert")]
    # the reasoning each candidate was proposed with: the reviewer reads it before the imagined
    # outcome, and at test time every proposal comes with the policy's own reasoning (a review
    # store where only the expert's proposals had words would teach "words: accept")
    proposed_with = {cands[0][0]: decision.reasoning or ""}
    if recorded != cands[0][0]:
        cands.append((recorded, "recorded"))
    for j in range(config.policy_samples if policy is not None else 0):
        policy.reset(seed=config.seed + j)  # sample j is the same at every rerun (resume)
        mine = policy.act(obs, info)
        if int(mine.action) not in [a for a, _ in cands]:
            cands.append((int(mine.action), "policy"))
            proposed_with[int(mine.action)] = mine.reasoning or ""
    others = [a for a in range(len(names)) if a not in [a for a, _ in cands]]
    drawn = rng.permutation(others)[:config.poor_actions]  # a larger K keeps the first K
    cands += [(int(a), "sampled") for a in drawn]
    if all((t, names.format(a)) in done for a, _ in cands):
        return
    branches = {a: branch(env, obs, info, a, continuation(expert, policy, config, seed, t),
                          config.horizon, target, proposed_with.get(a, "")) for a, _ in cands}
    expert_facts = branches[cands[0][0]][1]
    reference, correction = expert_facts, (decision.action_text, decision.reasoning)
    if config.verdict_by == "outcome":  # the best candidate here is the measure (ties: expert)
        worth = {a: outcome_value(branches[a][1]) for a, _ in cands}
        best = max(worth, key=lambda a: (worth[a], a == cands[0][0]))
        reference = branches[best][1]
        if worth[best] > worth[cands[0][0]] + 1e-6:  # the expert's own step did worse
            correction = (names.format(best), proposed_with.get(best, ""))
    for action, kind in cands:
        if (t, names.format(action)) in done:
            continue
        steps, facts = branches[action]
        if config.verdict_by == "outcome":
            worse = [] if worth[action] >= worth[best] - 1e-6 else \
                [w for w in compare(facts, reference, config.tolerance)
                 if w[0] in OUTCOME_WORSE] or [["reward", worth[action], worth[best]]]
        else:
            worse = [] if kind == "expert" else compare(facts, expert_facts, config.tolerance)
        verdict = "revise" if worse else "accept"
        # an expert's step that did worse is reviewed as any other candidate is
        text = review_text("recorded" if kind == "expert" and worse else kind, facts,
                           reference, worse, rng)
        b = builder_cls(world_id=world_id, seed=seed, agent=REVIEW_AGENT,
                        task_text=meta["task_text"], world_version_text=meta["world_version"])
        for k, (o, a, a_text, why, reward, term, trunc, nxt_info, nxt) in enumerate(steps):
            b.add_step(o, Decision(action=a, action_text=a_text, reasoning=why,
                                   imagined_frame=nxt, review=text if k == 0 else None),
                       reward, term, trunc, nxt_info)
        example = b.build()
        n = len(steps)

        def first(value, fill):
            return np.array([value] + [fill] * (n - 1))
        example.update(
            review_verdict=first(verdict, ""), review_candidate_kind=first(kind, ""),
            review_corrected_action=first(correction[0], ""),
            review_corrected_reasoning=first(correction[1], ""),
            review_source_episode=first(index, -1).astype(np.int64),
            review_source_step=first(t, -1).astype(np.int64),
            review_source_agent=first(agent_name, ""),
            review_facts=first(json.dumps({"candidate": facts, "expert": expert_facts,
                                           "worse": worse, "verdict_by": config.verdict_by,
                                           "reference": reference}), ""))
        yield example, verdict, kind


# -- the command ----------------------------------------------------------------------------------
def plan(source, config) -> list[tuple[int, list[int]]]:
    """(episode index, steps to review) per source episode; clear errors for unusable stores."""
    import numpy as np

    from rig.worlds import WORLDS
    n = source.num_episodes if config.episodes is None else min(config.episodes,
                                                                source.num_episodes)
    if n == 0:
        raise RigError(f"{config.data} holds no episodes to review")
    seeds, worlds, lengths = (source.read_meta(k) for k in ("seed", "world_id", "length"))
    jobs = []
    for e in range(n):
        world = str(worlds[e])
        if world not in WORLDS:
            raise RigError(f"{config.data}: episode {e} is from world {world!r}, which this rig "
                           "does not know; it cannot be replayed")
        if not world.startswith("rig/Crafter"):
            raise RigError(f"{config.data}: episode {e} is from {world}; review measures Crafter "
                           "worlds only (it reads their semantic map)")
        if int(seeds[e]) < 0:
            raise RigError(f"{config.data}: episode {e} has no seed (-1), so it cannot be "
                           "replayed; record stores with `rig collect`, which seeds every episode")
        start, stop = source.episode_bounds(e)
        if (source.read("action", start, stop) < 0).any():
            raise RigError(f"{config.data}: episode {e} has actions that are not ids (-1); only "
                           "discrete-action stores can be replayed")
        length = int(lengths[e])
        if config.samples_per_episode:
            rng = np.random.default_rng([config.seed, e])
            steps = sorted(int(s) for s in rng.choice(length, min(length,
                           config.samples_per_episode), replace=False))
        else:
            steps = list(range(0, length, config.every))
        jobs.append((e, steps))
    return jobs


def reviewed(out) -> set[tuple]:
    """(world, source agent, source seed, step, candidate action text) of the stored examples."""
    if out.num_episodes == 0:
        return set()
    if "review_source_step" not in out.data:
        raise RigError(f"{out.path} holds episodes that are not review examples; write the review "
                       "to a new store")
    starts = [out.episode_bounds(i)[0] for i in range(out.num_episodes)]
    cols = [out.read(k)[starts] for k in ("review_source_agent", "review_source_step",
                                          "action_text")]
    return {(str(w), str(a), int(s), int(t), str(c)) for w, s, a, t, c in
            zip(out.read_meta("world_id"), out.read_meta("seed"), *cols)}


def review_worker() -> dict:
    """A worker's state: its worlds and policies, built as the jobs need them."""
    return {"envs": {}, "policies": {}}


def _env_and_policy(worker: dict, world: str, spec: str | None):
    import rig.worlds
    from rig.agents import make_agent
    envs, policies = worker["envs"], worker["policies"]
    if world not in envs:
        envs[world] = rig.worlds.make(world)
    if spec and (world, spec) not in policies:
        policies[world, spec] = make_agent(spec, envs[world], imagine=False)
    return envs[world], policies.get((world, spec))


def review_job(worker: dict, data: str, index: int, steps: list[int], done: set,
               config_dict: dict):
    """A pool job: the review examples of one source episode."""
    from .store import TrajectoryStore
    config = DataReviewConfig(**config_dict)
    with TrajectoryStore.open(data, "r") as source:
        env, policy = _env_and_policy(worker, str(source.read_meta("world_id")[index]),
                                      config.policy)
        return list(review_episode(env, source, index, steps, done, config, policy))


def data_review(config: DataReviewConfig) -> int:
    import os
    import time
    from collections import Counter

    from tqdm import tqdm

    from rig.rollout import RolloutPool

    from .store import TrajectoryStore
    with TrajectoryStore.open(config.data, "r") as source:
        jobs = plan(source, config)
        meta = [(str(w), str(a), int(s)) for w, a, s in zip(*(source.read_meta(k) for k in (
            "world_id", "agent", "seed")))]
    if config.policy:  # a bad checkpoint fails here, before any work
        _env_and_policy(review_worker(), meta[jobs[0][0]][0], config.policy)
    counts, start = Counter(), time.perf_counter()
    with TrajectoryStore.open(config.out, "a") as out:
        done = reviewed(out)
        per_job = [{(t, c) for w, a, s, t, c in done if (w, a, s) == meta[e]} for e, _ in jobs]
        candidates = 1 + config.poor_actions + (config.policy_samples if config.policy else 0)
        total = sum(len(steps) for _, steps in jobs) * candidates - len(done)
        workers = min(config.workers or os.cpu_count() or 1, len(jobs))
        bar = tqdm(total=max(total, 0), unit="example", desc="review", dynamic_ncols=True)
        items = [(config.data, e, steps, skip, asdict(config))
                 for (e, steps), skip in zip(jobs, per_job)]
        # one worker: in this process, one source episode after another
        with bar, RolloutPool(review_worker, workers=workers, inline=workers <= 1,
                                threads=config.threads) as pool:
            for results in pool.imap_unordered(review_job, items):
                for example, verdict, kind in results:
                    out.append_episode(example)
                    counts[verdict] += 1
                    counts[f"{kind} {verdict}"] += 1
                    bar.update(1)
        seconds = time.perf_counter() - start
        made = counts["accept"] + counts["revise"]
        print(f"{config.out}: {made} new examples ({counts['accept']} accept, {counts['revise']} "
              f"revise) in {seconds:.1f}s, {made / max(seconds, 1e-9):.1f} examples/s; now "
              f"{out.num_episodes} examples")
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()) if " " in k)
        if kinds:
            print(f"by candidate: {kinds}")
    return 0
