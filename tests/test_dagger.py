"""DAgger: a driver acts, the expert labels; the store keeps both and training learns the label."""

import numpy as np
import pytest

from rig.agents.base import Agent, Decision
from rig.agents.dagger import DaggerAgent
from rig.cli import main
from rig.policy.sequence import (ACTION, IMAGINATION, TEACHER_KEY, SequenceBuilder,
                                SequenceConfig)
from rig.trajectories.store import TrajectoryStore


class Scripted(Agent):
    """Always the same action; keeps a history like the RIG policy does."""

    def __init__(self, action: int, name: str):
        self.action, self.action_name = action, name
        self.history = [[]]

    def reset(self, seed=None):
        self.history = [[]]

    def overrule(self, action_text, world=0):
        self.history[world][-1] = action_text

    def act(self, obs, info):
        self.history[0].append(self.action_name)
        return Decision(action=self.action, action_text=self.action_name,
                        reasoning=f"I would {self.action_name}.", extras={"subgoal": "x"})


@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
def test_the_driver_acts_at_its_rate_and_the_teacher_always_labels(rate):
    teacher, driver = Scripted(1, "move_left"), Scripted(5, "do")
    agent = DaggerAgent([teacher], [driver], rate)
    agent.reset(seed=3)
    decisions = [agent.act({}, {}) for _ in range(400)]
    driven = np.array([d.extras["driven"] for d in decisions])
    assert all(d.teacher_action_text == "move_left" for d in decisions)
    assert all(d.reasoning == "I would move_left." for d in decisions)
    assert all(d.extras["teacher_subgoal"] == "x" for d in decisions)
    for d, drove in zip(decisions, driven):  # what was executed is the driver's only when driven
        assert (d.action, d.action_text) == ((5, "do") if drove else (1, "move_left"))
        assert d.extras["driver_action"] == "do"
    assert abs(driven.mean() - rate) < 0.08
    # the driver's history holds what was executed, not what it proposed
    assert driver.history[0] == [d.action_text for d in decisions]
    agent.reset(seed=3)
    again = [agent.act({}, {}).extras["driven"] for _ in range(400)]
    assert again == list(driven)  # seeded: the same steps are driven


def test_a_bad_rate_is_refused():
    with pytest.raises(ValueError, match="driver_rate"):
        DaggerAgent([Scripted(0, "noop")], [Scripted(0, "noop")], 1.5)
    assert main(["collect", "--driver", "random", "--driver-rate", "2"]) == 2
    assert main(["collect", "--driver", "human"]) == 2


def test_collect_with_a_driver_records_labels_and_resumes(tmp_path, capsys):
    out = tmp_path / "dagger.zarr"
    args = ["collect", "--out", str(out), "--agent", "expert", "--driver", "random",
            "--driver-rate", "0.5", "--episodes", "3", "--max-steps", "40", "--workers", "1",
            "--num-worlds", "2"]  # a batch of two worlds in lockstep, then one of one
    assert main(args) == 0
    assert main(["data", "check", str(out)]) == 0
    with TrajectoryStore.open(out, "r") as store:
        assert store.num_episodes == 3
        assert sorted(int(s) for s in store.read_meta("seed")) == [0, 1, 2]
        agents = [str(a) for a in store.read_meta("agent")]
        assert agents == ["expert labelling random (driver rate 0.5)"] * 3
        executed = np.array([str(a) for a in store.read("action_text")])
        labels = np.array([str(a) for a in store.read(TEACHER_KEY)])
    assert (labels != "").all()  # every state has the expert's label
    differ = (executed != labels).mean()
    assert 0.1 < differ < 0.7  # random drove about half the steps, and often disagreed
    capsys.readouterr()
    assert main(["data", "show", str(out), "--max-steps", "40"]) == 0
    shown = capsys.readouterr().out
    first = int(np.flatnonzero(executed != labels)[0])  # in episode 0, the one shown
    marked = f"{executed[first]}>{labels[first]}"
    assert "DAgger store" in shown and (marked if len(marked) <= 18 else marked[:15]) in shown
    assert main(args) == 0  # the same command again: nothing new
    assert "nothing to collect" in capsys.readouterr().out


def test_training_targets_the_label_and_imagines_only_agreeing_steps():
    from rig.policy.vocab import RigVocabulary
    from rig.worlds.crafter import ACTION_NAMES

    vocab = RigVocabulary.train(["I would do."] * 20, ACTION_NAMES, codebook_size=16,
                                text_vocab_size=120)
    config = SequenceConfig(context_steps=1, history_actions=2, max_text_tokens=4)
    builder = SequenceBuilder(vocab, config)
    grid = 4

    def sample(executed: str, label: str):
        return {"image_tokens": np.zeros((2, grid), np.int64),  # codes
                "image_tokens_is_pad": np.array([False, False]),
                "text": ["health 9"], "text_is_pad": np.array([False]),
                "action_text": ["noop", "move_up", executed],
                "action_text_is_pad": np.array([False, False, False]),
                "reasoning": ["I would do."], TEACHER_KEY: [label]}

    for executed, label in (("move_left", "do"), ("do", "do"), ("move_left", "")):
        ids, segments, _ = builder.sample(sample(executed, label), "Survive.")
        target = label or executed  # an empty label (a step recorded without one): the action
        assert ids[segments == ACTION][0] == vocab.action_id(target)
        assert (segments == IMAGINATION).any() == (target == executed)
        hist = ids[list(ids).index(vocab.id("<hist>")) + 1:][:2]
        assert list(hist) == [vocab.action_id("noop"), vocab.action_id("move_up")]
