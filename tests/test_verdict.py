"""`rig eval verdict`: the judge's verdicts scored against real branch outcomes, without play.
The pick rules and figures on hand-made states, then the real command on the shipped policy."""

from __future__ import annotations

import json

import pytest

import rig.worlds
from rig.cli import main
from rig.eval.verdict import RULES, pairwise_auc, rule_gain, summarize_verdicts


def record(values, votes, confidence):
    return {"seed": 0, "step": 0, "actions": [f"a{i}" for i in range(len(values))],
            "values": values, "votes": votes, "confidence": confidence}


def test_each_rule_is_scored_by_the_real_value_of_what_it_would_pick():
    # the first sample walks into lava; the reviewer sees it (leans to revise, likes the 2nd)
    r = record([-1.0, 0.0, 0.1], votes=[2, 1, 1], confidence=[0.3, 0.8, 0.6])
    assert rule_gain("first", r) == (0.0, 0.0, 0.0)
    assert rule_gain("oracle", r) == pytest.approx((1.1, 1.0, 1.0))
    assert rule_gain("judge", r) == pytest.approx((1.0, 1.0, 0.0))   # the most confident
    assert rule_gain("majority", r) == (0.0, 0.0, 0.0)               # two votes of four
    # weighted: 2 x 0.3 = 0.6 against 1 x 0.8: the second
    assert rule_gain("weighted", r) == pytest.approx((1.0, 1.0, 0.0))
    # random of N: the expectation over the four samples
    assert rule_gain("random of N", r) == pytest.approx(((-2 + 0 + 0.1) / 4 + 1, 0.5, 0.25))
    # a reviewer content with the first keeps it
    keep = record([0.0, 1.0], votes=[3, 1], confidence=[0.6, 0.9])
    assert rule_gain("judge", keep)[1] == 0.0 and rule_gain("weighted", keep)[1] == 0.0


def test_the_value_judge_switches_only_for_a_clearly_higher_expected_outcome():
    """judge-value reads P(accept) as (E[v] + 1) / 2: the highest, where it beats the first
    sample's by more than the margin (0.05 of the share, one health point of reward)."""
    from rig.agents.judge_review import VALUE_MARGIN, judge_pick

    # the third proposal collects wood (share near 1), the first idles (0.5)
    gains = record([0.0, 0.0, 1.0], votes=[2, 1, 1], confidence=[0.5, 0.49, 0.97])
    assert rule_gain("value", gains) == pytest.approx((1.0, 1.0, 1.0))
    assert rule_gain("judge", gains) == (0.0, 0.0, 0.0)  # the plain judge: the first accepts
    # within the margin the first sample stands, whatever the votes
    close = [0.5, 0.5 + VALUE_MARGIN / 2]
    assert judge_pick(close, [1, 3], "value") == 0
    assert judge_pick([0.5, 0.5 + 2 * VALUE_MARGIN], [3, 1], "value") == 1
    with pytest.raises(ValueError, match="unknown judge rule"):
        judge_pick(close, [1, 1], "best")


def test_the_value_rule_is_scored_at_several_margins_to_choose_one_on_validation_seeds():
    """A reviewer whose shares crowd round one half needs a smaller margin than 0.05: `rig eval
    verdict` scores the value rule at 0, 0.02, 0.05 ("value") and 0.1, and the judge-value
    agent takes the chosen one (--judge-margin)."""
    from rig.agents.judge_review import judge_pick

    slight = record([0.0, 1.0], votes=[3, 1], confidence=[0.50, 0.53])
    assert judge_pick(slight["confidence"], slight["votes"], "value", 0.02) == 1
    assert rule_gain("value, margin 0", slight)[0] == rule_gain("value, margin 0.02", slight)[0] \
        == 1.0
    assert rule_gain("value", slight)[0] == rule_gain("value, margin 0.1", slight)[0] == 0.0
    summary = summarize_verdicts([{"seed": 0, "steps": 4, "records": [slight]}])
    assert summary["rules"]["value, margin 0"]["oracle_gain_captured"] == 1.0
    assert summary["rules"]["value"]["oracle_gain_captured"] == 0.0


def test_judge_margin_is_for_the_value_judge_only(tmp_path, capsys):
    for agent in ("rig:crafter", "judge:crafter"):
        assert main(["eval", "--agent", agent, "--judge-margin", "0.02", "--episodes", "1"]) == 2
        assert "--judge-margin is the judge-value agent's" in capsys.readouterr().err
    assert main(["eval", "--agent", "judge-value:crafter", "--judge-margin", "1.5"]) == 2
    assert main(["eval", "scaling", "--agent", "rig:crafter", "--modes", "judged",
                 "--judge-margin", "0.02", "--out", str(tmp_path / "s")]) == 2
    assert "--judge-margin is the valued mode's" in capsys.readouterr().err
    # the scaling run gives the margin to its valued settings only; the agent takes it
    from rig.agents import make_agent
    from rig.config import ConfigError
    from rig.eval.scaling import EvalScalingConfig

    config = EvalScalingConfig(agent="rig:crafter", modes=["judged", "valued"], judge_margin=0.0)
    assert config.eval_config(1, 4, "valued").judge_margin == 0.0
    assert config.eval_config(1, 4, "judged").judge_margin is None
    assert config.eval_config(0, 1).judge_margin is None
    env = rig.worlds.make("rig/Crafter-v0")
    try:
        options = config.eval_config(1, 2, "valued").policy_options()
        agent = make_agent("judge-value:crafter", env, **options)
        assert agent.margin == 0.0
        agent.close()
        with pytest.raises(ConfigError, match="judge-margin"):
            make_agent("judge:crafter", env, **options)
        make_agent("rig:crafter", env, **options).close()  # the plain policy ignores it
    finally:
        env.close()


def test_auc_counts_pairs_of_different_outcomes_only():
    ranked = record([1.0, 0.0, 0.0], votes=[1, 1, 2], confidence=[0.9, 0.2, 0.2])
    inverted = record([1.0, 0.0], votes=[1, 3], confidence=[0.1, 0.7])
    assert pairwise_auc([ranked]) == (1.0, 2)   # the tie between the two 0.0s is no pair
    assert pairwise_auc([inverted]) == (0.0, 1)
    assert pairwise_auc([ranked, inverted]) == (pytest.approx(2 / 3), 3)
    assert pairwise_auc([record([0.5, 0.5], [2, 2], [0.4, 0.6])]) == (None, 0)


def test_the_summary_shares_steps_and_the_oracle_gain():
    episodes = [{"seed": 1, "steps": 10, "records": [
                    record([-1.0, 0.0], votes=[3, 1], confidence=[0.2, 0.9]),   # judge right
                    record([0.0, 0.0], votes=[2, 2], confidence=[0.9, 0.1])]},  # no difference
                {"seed": 2, "steps": 10, "records": [
                    record([0.0, 1.0], votes=[3, 1], confidence=[0.8, 0.1])]}]  # judge misses
    s = summarize_verdicts(episodes, resamples=200)
    assert (s["steps"], s["reviewed_states"], s["decisive_states"]) == (20, 3, 2)
    assert s["rules"]["oracle"]["gain_per_step"] == pytest.approx(2.0 / 20)
    assert s["rules"]["judge"]["gain_per_step"] == pytest.approx(1.0 / 20)
    assert s["rules"]["judge"]["oracle_gain_captured"] == pytest.approx(0.5)
    assert s["rules"]["judge"]["best_on_decisive"] == pytest.approx(0.5)
    assert s["rules"]["first"]["gain_ci95"] == [0.0, 0.0]
    low, high = s["rules"]["oracle"]["gain_ci95"]
    assert 0.0 < low <= 2.0 / 20 <= high
    assert s["pairwise_auc"] == 0.5 and s["decisive_pairs"] == 2
    # the death the judge saw, the unlock it missed
    assert s["auc_by_kind"]["death"] == {"pairwise_auc": 1.0, "pairs": 1}
    assert s["auc_by_kind"]["achievement"] == {"pairwise_auc": 0.0, "pairs": 1}
    assert s["auc_by_kind"]["health"] == {"pairwise_auc": None, "pairs": 0}


def test_the_command_records_every_differing_state_of_the_shipped_policy(tmp_path, capsys):
    out = tmp_path / "verdict.json"
    assert main(["eval", "verdict", "--agent", "rig:crafter", "--candidates", "3",
                 "--lookahead", "1", "--episodes", "2", "--max-steps", "25", "--workers", "1",
                 "--threads", "1", "--json", str(out), "--real-frames"]) == 0
    shown = capsys.readouterr().out
    assert "verdicts against the real outcome" in shown and "oracle" in shown
    assert "weighted, real frames" in shown and "reading the real outcome" in shown
    assert "by what sets the proposals apart: death" in shown
    saved = json.loads(out.read_text())
    summary, episodes = saved["summary"], saved["episodes"]
    assert [e["seed"] for e in episodes] == [3000, 3001]
    records = [r for e in episodes for r in e["records"]]
    assert records, "the shipped policy's three samples never differed in 50 steps"
    for e in episodes:
        assert 1 <= e["steps"] <= 25
        for r in e["records"]:
            n = len(r["actions"])
            assert n >= 2 and len(set(r["actions"])) == n
            assert len(r["votes"]) == len(r["confidence"]) == len(r["values"]) == n
            assert sum(r["votes"]) == 3 and min(r["votes"]) >= 1
            assert all(0.0 <= c <= 1.0 for c in r["confidence"])
            # --real-frames: the same proposals reviewed reading their real outcome
            assert len(r["confidence_real"]) == n
            assert all(0.0 <= c <= 1.0 for c in r["confidence_real"])
            assert r["step"] < e["steps"]
    assert summary["reviewed_states"] == len(records)
    assert set(summary["real_frames"]["rules"]) == {"judge", "weighted", "value"}
    gains = {rule: summary["rules"][rule]["gain_per_step"] for rule in RULES}
    assert gains["first"] == 0.0 and all(g <= gains["oracle"] + 1e-9 for g in gains.values())


def test_refuses_one_candidate_and_a_non_policy():
    assert main(["eval", "verdict", "--agent", "rig:crafter", "--candidates", "1"]) == 2
    assert main(["eval", "verdict", "--agent", "expert"]) == 2
    for bad in (["--episodes", "0"], ["--max-steps", "0"], ["--workers", "-1"],
                ["--real-horizon", "0"]):
        assert main(["eval", "verdict", "--agent", "rig:crafter", *bad]) == 2


def test_real_branches_may_look_farther_than_the_judge_imagines(tmp_path, capsys):
    """--real-horizon: a reviewer taught four-step outcomes from one imagined step is scored
    against four-step branches (the oracle's lookahead), the judge still imagining one."""
    from rig.agents import rig_checkpoint
    from rig.eval.verdict import verdict_worker

    worker = verdict_worker("rig/Crafter-v0", rig_checkpoint("rig:crafter"), 3, 1, "cpu", 1.0,
                            False, 4)
    assert worker["oracle"].horizon == 4 and worker["judge"].horizon == 1
    out = tmp_path / "verdict.json"
    assert main(["eval", "verdict", "--agent", "rig:crafter", "--candidates", "3",
                 "--lookahead", "1", "--real-horizon", "4", "--episodes", "1",
                 "--max-steps", "12", "--workers", "1", "--threads", "1",
                 "--json", str(out)]) == 0
    assert "1 step(s) ahead (real branches 4)" in capsys.readouterr().out
    summary = json.loads(out.read_text())["summary"]
    assert summary["lookahead"] == 1 and summary["real_horizon"] == 4
    assert main(["eval", "verdict", "--agent", "rig:crafter", "--lookahead", "1",
                 "--real-horizon", "4", "--real-frames"]) == 2
