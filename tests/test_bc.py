"""The behaviour-cloning baseline: text features, training through the real `rig train bc`,
exact resume, the saved folder, playing it with `--agent bc:`, and clear errors."""

import json

import numpy as np
import pytest

from rig.cli import main as rig_main
from rig.config import RigError
from rig.policy.bc import TextFeatures, history_vector


def test_text_features_read_counts_and_flags_by_name():
    task = "Survive and unlock as many achievements as you can."
    texts = [f"{task}\nTime: day.\nVitals: health 9/9, food 7/9.\n"
             "Inventory: wood 2, wood pickaxe 1.",
             f"{task}\nTime: night.\nVitals: health 3/9, food 1/9.\nInventory: empty.\n"
             "You are asleep."]
    features = TextFeatures.learn(texts, task)
    assert features.names == ["food", "health", "wood", "wood pickaxe", "inventory: empty.",
                              "time: day.", "time: night.", "you are asleep."]
    awake, asleep = (features.encode(t, task) for t in texts)
    np.testing.assert_allclose(awake, [7 / 9, 1.0, 2 / 9, 1 / 9, 0, 1, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(asleep, [1 / 9, 3 / 9, 0, 0, 1, 0, 1, 1], rtol=1e-6)
    # a name never seen in training is not read (the student reads what it learned from)
    unseen = features.encode("Inventory: diamond 3, wood 1.\nTime: dusk.")
    np.testing.assert_allclose(unseen, [0, 0, 1 / 9, 0, 0, 0, 0, 0], rtol=1e-6)


def test_history_vector_one_hot_oldest_first():
    vector = history_vector([2, 0], actions=3, length=3).reshape(3, 3)
    np.testing.assert_array_equal(vector, [[0, 0, 0], [0, 0, 1], [1, 0, 0]])
    assert history_vector([], 3, 0).shape == (0,)


@pytest.fixture(scope="module")
def expert_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("bc") / "expert.zarr"
    assert rig_main(["collect", "--out", str(store), "--agent", "expert:player", "--episodes",
                     "8", "--max-steps", "80", "--workers", "1"]) == 0
    return store


def _args(store, out, steps, *extra):
    return ["train", "bc", str(store), "--out", str(out), "--steps", str(steps),
            "--batch-size", "32", "--warmup", "5", "--eval-every", "20", "--checkpoint-every",
            "10", "--val-fraction", "0.25", "--channels", "8", "16", "16", "16", "--hidden",
            "32", "--device", "cpu", "--threads", "1", *extra]


def _metrics(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_trains_learns_and_resumes_exactly(expert_store, tmp_path):
    out = tmp_path / "bc"
    assert rig_main(_args(expert_store, out, 60, "--lr", "3e-3", "--text")) == 0
    meta = json.loads((out / "final" / "bc_policy.json").read_text())
    assert meta["step"] == 60 and meta["worlds"] == ["rig/Crafter-v0"]
    assert len(meta["model"]["actions"]) == 17 and "health" in meta["model"]["text_features"]
    assert meta["val_steps"] > 0 and meta["train_steps"] > meta["val_steps"]
    lines = _metrics(out)
    assert [m["step"] for m in lines] == list(range(1, 61))
    # it learns: the teacher's actions on held-out seeds agree with its argmax well above the
    # uniform 1/17 (the teacher mostly moves and does in this short a game)
    assert lines[-1]["val/action_agreement"] > 2 / 17
    assert np.mean([m["loss"] for m in lines[-10:]]) < np.mean([m["loss"] for m in lines[:10]])
    assert (out / "best" / "model.safetensors").is_file()

    # rig eval decisions: the same kind of measure from outside training, greedy and sampled
    report = tmp_path / "decisions.json"
    assert rig_main(["eval", "decisions", "--agent", f"bc:{out}", "--data", str(expert_store),
                     "--holdout-seed", "0", "--states", "200", "--temperatures", "0", "1",
                     "--json", str(report)]) == 0
    rows = json.loads(report.read_text())["rows"]
    assert [r["temperature"] for r in rows] == [0, 1] and rows[0]["states"] == 200
    assert rows[0]["agreement"] > 100 * 2 / 17  # well above choosing uniformly
    assert all(r["ci95"][0] <= r["agreement"] <= r["ci95"][1] for r in rows)


def test_a_killed_run_resumes_with_the_same_losses(expert_store, tmp_path, capsys):
    import shutil

    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert rig_main(_args(expert_store, whole, 30)) == 0
    # as if killed after step 20's checkpoint: later checkpoints and the final folder lost,
    # metrics.jsonl holding lines past the checkpoint (they are dropped on resume)
    shutil.copytree(whole, cut)
    shutil.rmtree(cut / "checkpoints" / "step-0000030")
    shutil.rmtree(cut / "final")
    (cut / "checkpoints" / "step-0000030.tmp").mkdir()  # a checkpoint cut short while written
    assert rig_main(_args(expert_store, cut, 30)) == 0
    assert [m["step"] for m in _metrics(cut)] == list(range(1, 31))
    assert [m["loss"] for m in _metrics(cut)] == pytest.approx(
        [m["loss"] for m in _metrics(whole)], abs=1e-5)
    # the same folder with other options is refused, not silently mixed
    assert rig_main(_args(expert_store, cut, 40, "--hidden", "48")) == 1
    assert capsys.readouterr().err.count("trained with other options") == 1


def test_plays_with_the_bc_agent_and_refuses_bad_folders(expert_store, tmp_path, rig_cli):
    out = tmp_path / "bc"
    assert rig_main(_args(expert_store, out, 10)) == 0  # the default: frame + history only
    assert json.loads((out / "final" / "bc_policy.json").read_text())["model"][
        "text_features"] == []
    report = tmp_path / "eval.json"
    result = rig_cli("eval", "--agent", f"bc:{out}", "--episodes", "2", "--max-steps", "20",
                     "--workers", "1", "--seed", "2000", "--json", str(report))
    assert result.returncode == 0, result.stderr
    summary = json.loads(report.read_text())
    assert summary["episodes"] == 2 and summary["agent"] == f"bc:{out}"
    # not a bc folder, a damaged description: one clear line each, no traceback
    bad = rig_cli("eval", "--agent", f"bc:{tmp_path}", "--episodes", "1", "--max-steps", "5")
    assert bad.returncode != 0 and "not a bc policy" in bad.stderr
    assert "Traceback" not in bad.stderr
    (out / "final" / "bc_policy.json").write_text("{ not json")
    from rig.policy import bc

    with pytest.raises(RigError, match="damaged"):
        bc.load(out / "final")
