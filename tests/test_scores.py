import math

import pytest

from rig.rollout.scores import crafter_score, success_rates


def test_crafter_score_matches_the_paper_formula():
    assert crafter_score([100.0] * 22) == pytest.approx(100.0)
    assert crafter_score([0.0] * 22) == pytest.approx(0.0)
    rates = [100.0] * 11 + [0.0] * 11
    assert crafter_score(rates) == pytest.approx(math.sqrt(101.0) - 1.0)
    # The geometric mean sits far below the arithmetic mean of 50%.
    assert crafter_score(rates) < 10.0


def test_success_rates_count_episodes_not_unlocks():
    rates = success_rates([["a", "a", "b"], ["a"], []], ["a", "b", "c"])
    assert rates == pytest.approx({"a": 200 / 3, "b": 100 / 3, "c": 0.0})


def test_bad_rates_are_refused():
    with pytest.raises(ValueError):
        crafter_score([101.0])
    with pytest.raises(ValueError):
        crafter_score([])


def test_summaries_show_the_columns_a_world_has():
    """Crafter rows count achievements; MiniWoB rows say whether the task was solved (no
    achievements column, no Crafter score)."""
    from rich.console import Console

    from rig.eval.report import print_summary, summarize
    from rig.rollout.episode import EpisodeResult

    def printed(world, **fields):
        results = [EpisodeResult(world=world, agent="random", seed=s, episode_return=1.0,
                                 length=5, achievements=[], end="terminated", seconds=0.1,
                                 **fields) for s in range(2)]
        console = Console(record=True, width=120)
        print_summary(summarize(results), console)
        return console.export_text()

    gui = printed("rig/MiniWoB-click-test-v0", success=True)
    assert "solved" in gui and "achievements" not in gui and "Crafter score" not in gui
    crafter = printed("rig/Crafter-v0")
    assert "achievements" in crafter and "solved" not in crafter and "Crafter score" in crafter
