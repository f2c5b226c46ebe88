"""`--agent oracle:PATH`: best-of-N on the real outcome (issue 22's ceiling of review), with the
shipped context-1 policy: it acts from branches without disturbing the real world, executes the
proposal whose branch earned the most, and refuses a policy that sees more than one step.
`--agent judge:PATH`, its counterpart on the imagined outcome: the policy's own review picks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rig.worlds
from rig.agents import make_agent
from rig.cli import main
from rig.config import ConfigError


def test_branches_leave_the_real_world_alone_and_the_best_is_executed():
    env, twin = rig.worlds.make("rig/Crafter-v0"), rig.worlds.make("rig/Crafter-v0")
    agent = make_agent("oracle:crafter", env, seed=0, candidates=4, lookahead=2)
    obs, info = env.reset(seed=11)
    twin_obs, _ = twin.reset(seed=11)
    reviewed, executed = 0, []
    for _ in range(30):
        decision = agent.act(obs, info)
        executed.append(decision.action_text)
        # every proposal row's past actions are the executed ones, not its own proposals or
        # what it decided inside the branches
        assert all(h == executed for h in agent.policy.history)
        if decision.review:  # proposals differed: each was tried in a branch
            reviewed += 1
            tried = dict(item.rsplit(" ", 1) for item in
                         decision.review.split(": ", 1)[1].split(", "))
            values = {name: float(v) for name, v in tried.items()}
            assert values[decision.action_text] == max(values.values())
        obs, _, terminated, truncated, info = env.step(decision.action)
        twin_obs, *_ = twin.step(decision.action)
        # the branches never touched the real world: it goes on as its twin does
        assert np.array_equal(obs["image"] if isinstance(obs, dict) else obs,
                              twin_obs["image"] if isinstance(twin_obs, dict) else twin_obs)
        if terminated or truncated:
            break
    assert reviewed > 0
    stats = agent.episode_stats()
    assert stats["oracle_steps"] >= 1 and stats["oracle_branch_steps"] >= 2 * reviewed


def test_a_branch_with_redrawn_dice_keeps_the_state_and_not_the_luck():
    """`World.redraw_future`: a branch keeps the original's future unless its chance is
    re-drawn; one re-drawn seed gives one future, to every creature alike."""
    env = rig.worlds.make("rig/Crafter-v0")
    env.reset(seed=3)
    same, redrawn, twin = (rig.worlds.branch(env) for _ in range(3))
    for world in (redrawn, twin):
        world.unwrapped.redraw_future(7)
    noop = rig.worlds.crafter.ACTION_NAMES.index("noop")
    maps = {name: [] for name in ("real", "same", "redrawn", "twin")}
    for _ in range(40):
        for name, world in (("real", env), ("same", same), ("redrawn", redrawn), ("twin", twin)):
            maps[name].append(world.step(noop)[4]["semantic"].copy())
    assert all(np.array_equal(a, b) for a, b in zip(maps["real"], maps["same"]))
    assert all(np.array_equal(a, b) for a, b in zip(maps["redrawn"], maps["twin"]))
    assert np.array_equal(maps["real"][0] != 0, maps["redrawn"][0] != 0)  # one world
    assert not all(np.array_equal(a, b) for a, b in zip(maps["real"], maps["redrawn"]))


def test_the_oracle_of_redrawn_futures_values_proposals_by_their_mean(capsys):
    env, twin = rig.worlds.make("rig/Crafter-v0"), rig.worlds.make("rig/Crafter-v0")
    agent = make_agent("oracle:crafter", env, seed=0, candidates=4, lookahead=2,
                       oracle_futures=2)
    obs, info = env.reset(seed=11)
    twin.reset(seed=11)
    reviewed = 0
    for _ in range(12):
        decision = agent.act(obs, info)
        if decision.review:
            reviewed += 1
            assert decision.review.startswith("mean of 2 re-drawn futures over 2 step(s): ")
        obs, _, terminated, truncated, info = env.step(decision.action)
        twin_obs, *_ = twin.step(decision.action)
        assert np.array_equal(obs["image"], twin_obs["image"])  # the real dice are untouched
        if terminated or truncated:
            break
    assert reviewed > 0
    # two rounds of branches for every proposal that was tried
    assert agent.episode_stats()["oracle_branch_steps"] >= 2 * 2 * reviewed
    assert main(["eval", "--agent", "rig:crafter", "--oracle-futures", "2"]) != 0
    assert "--oracle-futures re-draws the oracle agent's branches" in capsys.readouterr().err


def test_one_candidate_is_the_policy_itself(tmp_path):
    out = tmp_path / "eval.json"
    assert main(["eval", "--agent", "oracle:crafter", "--candidates", "1", "--episodes", "1",
                 "--max-steps", "15", "--workers", "1", "--threads", "1",
                 "--json", str(out)]) == 0
    detail = json.loads(out.read_text())["episodes_detail"][0]
    assert detail["extras"]["oracle_branch_steps"] == 0 and detail["length"] == 15


def test_refuses_a_policy_that_sees_two_steps():
    env = rig.worlds.make("rig/Crafter-v0")
    with pytest.raises(ConfigError, match="context 1"):
        make_agent("oracle:crafter-reasoning", env, candidates=2, lookahead=1)


def test_scaling_puts_the_real_outcome_judge_beside_the_imagined_one(tmp_path, capsys):
    """`rig eval scaling --modes imagined real`: at each setting the same policy's proposals
    judged on their imagined outcome (RIG-lookahead) and on their real one (the oracle), the
    plain row once, one line each in the plots."""
    out = tmp_path / "scaling"
    args = ["eval", "scaling", "--agent", "rig:crafter", "--modes", "imagined", "real",
            "judged", "--lookahead", "0", "2", "--candidates", "2", "--episodes", "1",
            "--max-steps", "4",
            "--workers", "1", "--threads", "1", "--out", str(out)]
    assert main(args) == 0
    settings = json.loads((out / "scaling.json").read_text())["settings"]
    assert sorted(settings) == ["judged:lookahead=2,candidates=2", "lookahead=0,candidates=1",
                                "lookahead=2,candidates=2", "real:lookahead=2,candidates=2"]
    judged = settings["judged:lookahead=2,candidates=2"]
    # reviewed where the two proposals differed; every step samples two of them
    assert judged["mode"] == "judged" and 0 <= judged["reviewed_share"] <= 1
    assert judged["branch_steps_per_step"] == 0 and judged["tokens_per_step"] > \
        settings["lookahead=0,candidates=1"]["tokens_per_step"]
    real, imagined = settings["real:lookahead=2,candidates=2"], settings["lookahead=2,candidates=2"]
    assert real["mode"] == "real" and imagined["mode"] == "imagined"
    assert real["branch_steps_per_step"] > 0 and imagined["branch_steps_per_step"] == 0
    assert imagined["reviewed_share"] == 1 and real["reviewed_share"] == 0
    # every setting keeps its episodes' rows, so settings can be paired by seed afterwards
    for row in settings.values():
        assert [e["seed"] for e in row["episodes_detail"]] == [2000]
        assert sum(e["length"] for e in row["episodes_detail"]) == row["mean_length"] <= 4
    for plot in ("score_vs_lookahead.png", "score_vs_compute.png", "score_vs_seconds.png"):
        assert (out / plot).stat().st_size > 1000
    assert "real" in capsys.readouterr().out
    assert main(args[:6] + ["imagined", "dreamed"] + args[9:]) != 0
    assert "--modes takes imagined and/or real" in capsys.readouterr().err


def test_the_judge_acts_on_its_first_proposal_unless_its_review_leans_to_revise():
    env = rig.worlds.make("rig/Crafter-v0")
    agent = make_agent("judge:crafter", env, seed=0, candidates=3, lookahead=1)
    obs, info = env.reset(seed=5)
    kept = changed = reviewed = 0
    executed = []
    for _ in range(12):
        decision = agent.act(obs, info)
        confidence, first = decision.extras["judge_confidence"], decision.extras["judge_first"]
        executed.append(decision.action_text)
        # every row of both decoders lists the executed actions, not its own proposals
        assert all(h == executed for h in agent.proposer.history)
        if not confidence:  # the three samples agreed: nothing to judge
            assert decision.review is None and decision.action_text == first
        else:
            reviewed += 1
            assert len(confidence) >= 2 and all(0.0 <= c <= 1.0 for c in confidence.values())
            assert decision.review.startswith("imagined outcome over 1 step(s), P(accept): ")
            assert decision.action_text in confidence  # a sampled proposal, not a correction
            if confidence[first] >= 0.5:
                assert decision.action_text == first
                kept += 1
            else:
                assert confidence[decision.action_text] == max(confidence.values())
                changed += decision.action_text != first
        obs, _, terminated, truncated, info = env.step(decision.action)
        if terminated or truncated:
            break
    assert reviewed > 0
    stats = agent.episode_stats()
    assert stats["reviewed_steps"] == reviewed and stats["judge_steps"] >= reviewed
    assert stats["judge_changed"] == changed and stats["generated_tokens"] > 0
    # batched: K worlds are K x N rows of one decoder; a finished world gets None back
    agent.reset_batch([0, 1])
    decisions = agent.act_batch([obs, None], [info, info])
    assert decisions[1] is None and decisions[0].extras["judge_first"]
    assert agent.episode_stats(0)["judge_steps"] == 1 and agent.episode_stats(1)["judge_steps"] == 0
    with pytest.raises(ConfigError, match="context 1"):
        make_agent("judge:crafter-reasoning", env, candidates=2, lookahead=1)
    with pytest.raises(ConfigError, match="--lookahead >= 1"):
        make_agent("judge:crafter", env, candidates=2, lookahead=0)


def test_the_weighted_judge_acts_on_the_largest_share_times_confidence():
    env = rig.worlds.make("rig/Crafter-v0")
    agent = make_agent("judge-weighted:crafter", env, seed=0, candidates=4, lookahead=1)
    obs, info = env.reset(seed=5)
    reviewed = changed = 0
    for _ in range(12):
        decision = agent.act(obs, info)
        confidence, first = decision.extras["judge_confidence"], decision.extras["judge_first"]
        if confidence:
            reviewed += 1
            votes = decision.extras["judge_votes"]
            assert list(votes) == list(confidence) and sum(votes.values()) == 4
            assert all(v >= 1 for v in votes.values())
            scores = {a: votes[a] * confidence[a] for a in confidence}
            best = max(scores.values())
            # the first action (in proposal order) with the best score: ties go to the first
            assert decision.action_text == next(a for a in scores if scores[a] == best)
            changed += decision.action_text != first
        else:
            assert decision.action_text == first
        obs, _, terminated, truncated, info = env.step(decision.action)
        if terminated or truncated:
            break
    assert reviewed > 0 and agent.episode_stats()["judge_changed"] == changed


def test_a_forced_proposal_is_restated_then_imagined_and_reviewed():
    """The judge's reviewer takes the proposer's decisions as given (`forced`): the same
    reasoning and action come back, each with its imagined frame and one verdict."""
    from rig.agents.rig_agent import RigPolicy

    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=3)
    proposer = RigPolicy.from_pretrained("crafter-reasoning", seed=1, imagine=False)
    reviewer = RigPolicy.from_pretrained("crafter-reasoning", seed=2, imagine=False,
                                         lookahead=1, correct=False)
    proposed = proposer.act(obs, info)
    ids = proposed.extras["proposal_ids"]
    again = reviewer.act_batch([obs], [info], forced=[ids])[0]
    assert (again.reasoning, again.action_text) == (proposed.reasoning, proposed.action_text)
    assert len(again.extras["accept_shares"]) == 1 and again.imagined_tokens is not None
    # another action after the same reasoning is taken as given too
    noop = reviewer.vocab.id("<a:noop>")
    other = reviewer.act_batch([obs], [info], forced=[ids[:-1] + [noop]])[0]
    assert other.action_text == "noop" and other.reasoning == proposed.reasoning


def test_scaling_runs_the_oracle_of_redrawn_futures_as_its_own_mode():
    from rig.config import RigError
    from rig.eval.scaling import EvalScalingConfig, setting_key

    config = EvalScalingConfig(agent="rig:crafter", modes=["real", "expected"], futures=2)
    expected, real = config.eval_config(4, 4, "expected"), config.eval_config(4, 4, "real")
    assert expected.agent == real.agent and expected.agent.startswith("oracle:")
    assert (expected.oracle_futures, real.oracle_futures) == (2, 0)
    assert config.eval_config(0, 1).oracle_futures == 0  # the plain row is the policy
    assert setting_key("expected", 4, 4) != setting_key("real", 4, 4)
    config.futures = 0
    with pytest.raises(RigError, match="--futures must be >= 1"):
        config.validate()
