"""`--agent oracle:PATH`: best-of-N on the real outcome (issue 22's ceiling of review), with the
shipped context-1 policy: it acts from branches without disturbing the real world, executes the
proposal whose branch earned the most, and refuses a policy that sees more than one step."""

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
    reviewed = 0
    for _ in range(30):
        decision = agent.act(obs, info)
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
