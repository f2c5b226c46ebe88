"""`rig train policy` end to end on a tiny tokenized store: trains, saves, resumes after SIGKILL
with the same loss curve, and refuses bad input clearly."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rig.cli import main as rig_main
from rig.policy.sequence import SequenceConfig


@pytest.fixture(scope="module")
def tokenized_store(tmp_path_factory):
    """Random-agent Crafter episodes, tokenized by a tiny untrained tokenizer (8x8 tokens)."""
    from rig.imagination.tokenizer import ImageTokenizer, TokenizerConfig

    root = tmp_path_factory.mktemp("policy")
    store = root / "random.zarr"
    assert rig_main(["collect", "--out", str(store), "--agent", "random", "--episodes", "6",
                     "--max-steps", "30", "--workers", "1"]) == 0
    tokenizer = ImageTokenizer(TokenizerConfig(channels=[32, 32, 32, 32], latent_channels=8,
                                               codebook_size=32, code_dim=8, layers_per_block=1))
    tokenizer.save_pretrained(root / "tokenizer")
    assert rig_main(["data", "tokenize", "--data", str(store), "--tokenizer",
                     str(root / "tokenizer"), "--device", "cpu"]) == 0
    return store


def _train_args(store, out, steps):
    return ["train", "policy", str(store), "--out", str(out), "--steps", str(steps),
            "--batch-size", "2", "--checkpoint-every", "2", "--eval-every", "3", "--warmup", "2",
            "--text-vocab", "200", "--device", "cpu", "--threads", "1", "--val-fraction", "0.3",
            "--free-running", "4"]  # a few held-out states: the tests that read them ask for more


def _losses(out):
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return {json.loads(line)["step"]: json.loads(line)["loss"] for line in lines}


def test_trains_and_saves_a_loadable_checkpoint(tokenized_store, tmp_path):
    out = tmp_path / "run"
    # enough held-out states that four of them have a next frame for the validation picture
    assert rig_main(_train_args(tokenized_store, out, 3) + ["--free-running", "16"]) == 0
    final = out / "final"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "vocab.json",
                 "rig_policy.json", "image_tokenizer"):
        assert (final / name).exists(), name
    policy = json.loads((final / "rig_policy.json").read_text())
    assert policy["image_tokens"]["codebook_size"] == 32 and policy["step"] == 3
    assert policy["model"]["image_input"] == "tokens" and policy["sequence"]["patches"] == 0
    grid = policy["image_tokens"]["grid"]
    # new runs anchor <imagine> and embed tile places (docs/policy.md)
    assert policy["model"]["image_grid"] == grid[0] * grid[1]
    assert policy["sequence"]["image_anchor"] > grid[0] * grid[1]
    assert (final / "image_grid.safetensors").exists()
    rates = [json.loads(line)["lr"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rates[0] < rates[1]  # the warmup, logged per step (TensorBoard: train/lr)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(out / "tensorboard")).Reload()
    assert "train/lr" in events.Tags()["scalars"]
    # at validation: real next frames beside the imagined ones (4 states: 4 rows of 2 frames)
    (picture,) = events.Images("val/real_vs_imagined_next_frame")
    assert picture.width == 2 * picture.height // 4
    losses = _losses(out)
    assert sorted(losses) == [1, 2, 3] and all(0 < v < 20 for v in losses.values())
    assert not list(final.glob("*.pt")) and not list(final.glob("*.bin"))  # safetensors only


def test_free_running_decisions_on_held_out_states(tokenized_store, tmp_path):
    """Each validation decodes held-out states as acting would (own reasoning, then the
    action); the agreement with the teacher is logged and best/ keeps the best checkpoint."""
    from rig.policy import checkpoint
    from rig.train.free_running import split_for_decoding

    out = tmp_path / "free"
    assert rig_main(_train_args(tokenized_store, out, 3) + ["--free-running", "6"]) == 0
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3]  # one line a step, val merged in
    val = lines[-1]
    assert 0.0 <= val["val/free_action_agreement"] <= 1.0
    assert 0.0 <= val["val/free_reasoning_tokens"] <= 48
    # two steps in view (the default): also with its own earlier reasoning, which best/ follows
    assert 0.0 <= val["val/free_action_agreement_own"] <= 1.0
    best = json.loads((out / "best.json").read_text())
    assert best["step"] == 3 and best["free_action_agreement"] == val["val/free_action_agreement"]
    assert best["free_action_agreement_own"] == val["val/free_action_agreement_own"]
    assert checkpoint.load(out / "best").meta["step"] == 3
    report = tmp_path / "decisions.json"
    assert rig_main(["eval", "decisions", "--agent", f"rig:{out / 'final'}", "--data",
                     str(tokenized_store), "--holdout-seed", "0", "--states", "6",
                     "--temperatures", "0", "--json", str(report)]) == 0
    row = json.loads(report.read_text())["rows"][0]
    assert row["states"] == 6 and 0.0 <= row["agreement"] <= 100.0
    assert rig_main(["eval", "decisions", "--agent", f"rig:{out / 'final'}", "--data",
                     str(tokenized_store), "--holdout-seed", "0", "--states", "6",
                     "--temperatures", "1", "--own-context", "--json", str(report)]) == 0
    assert json.loads(report.read_text())["rows"][0]["states"] == 6

    # the cut: context, then the observation up to <think>, then what the teacher wrote
    policy = checkpoint.load(out / "final")
    from rig.policy.sequence import SequenceBuilder, SequenceConfig as Config

    builder = SequenceBuilder(policy.vocab, Config(**policy.meta["sequence"]))
    vocab = policy.vocab
    obs_codes = np.zeros(16, np.int64)
    context = builder.prefix("task")[0]
    first = builder.observation(obs_codes, "Vitals: health 9/9.", [])[0]
    first_out = builder.decision("go up", "move_up")[0]
    current = builder.observation(obs_codes + 1, "Vitals: health 8/9.", ["move_up"])[0]
    current_out = builder.decision("wood ahead so do", "do")[0]
    ids = np.asarray(context + first + first_out + current + current_out)
    cut = split_for_decoding(ids, None, vocab, reasoning=True)
    assert cut[0] == context + first + first_out and cut[1] == current
    assert cut[4] == vocab.action_id("do") and cut[2] is None and cut[3] is None
    without = np.asarray(context + first + builder.decision("x", "move_up")[0][:-1])
    assert split_for_decoding(np.append(without, vocab.id("</think>")), None, vocab,
                              reasoning=True) is None  # no action token at the end


def test_own_context_puts_the_policy_s_reasoning_in_the_earlier_step(tokenized_store, tmp_path):
    """--own-context: the previous step of a window carries what the policy wrote at that
    state, not the teacher's reasoning; the current observation and the label stay the
    teacher's."""
    from rig.policy import checkpoint
    from rig.policy.sequence import IMAGE_KEY, SequenceBuilder, SequenceConfig as Config
    from rig.train.free_running import own_context_cases, split_for_decoding
    from rig.trajectories.dataset import TrajectoryDataset
    from rig.trajectories.store import TrajectoryStore

    out = tmp_path / "run"
    assert rig_main(_train_args(tokenized_store, out, 1) + ["--free-running", "0"]) == 0
    policy = checkpoint.load(out / "final")
    sequence = Config(**policy.meta["sequence"])
    assert sequence.context_steps == 2
    builder, vocab = SequenceBuilder(policy.vocab, sequence), policy.vocab
    store = TrajectoryStore.open(tokenized_store, "r")
    dataset = TrajectoryDataset(store, sequence.offsets(), list(range(store.num_episodes)))
    dataset.cache[IMAGE_KEY] = store.read(IMAGE_KEY).astype(np.int64)  # one codec: offset 0
    items = [dataset[i] for i in (0, 5, 17)]  # 0: an episode's first step (nothing before it)
    tasks = [str(store.read_meta("task_text")[item["episode"]]) for item in items]
    teacher = [split_for_decoding(builder.sample(item, task, imagine=False)[0], None, vocab,
                                  True) for item, task in zip(items, tasks)]
    model = policy.model("cpu")
    own = own_context_cases(model, vocab, builder, sequence, items, tasks, 16, seed=1)
    assert own[0] == teacher[0]  # no earlier step to rewrite
    think, end = vocab.id("<think>"), vocab.id("</think>")
    for mine, theirs, item in zip(own[1:], teacher[1:], items[1:]):
        assert mine[1:] == theirs[1:]  # the current observation and the teacher's action
        written = mine[0][mine[0].index(think) + 1:mine[0].index(end)]
        assert vocab.decode_text(written) != str(item["reasoning"][0])
        assert mine[0][:mine[0].index(think)] == theirs[0][:theirs[0].index(think)]


def test_closed_loop_checks_play_while_training(tokenized_store, tmp_path):
    """--play-every plays the policy in a worker process on fixed seeds while training goes on;
    each check's Crafter score is logged and best-play/ holds a policy that plays."""
    out = tmp_path / "play"
    args = _train_args(tokenized_store, out, 4) + ["--play-every", "2", "--play-episodes", "2",
                                                   "--play-steps", "5", "--free-running", "0"]
    assert rig_main(args) == 0
    checks = [json.loads(line) for line in (out / "closed_loop.jsonl").read_text().splitlines()]
    # the check of step 2 may still play when step 4 falls due (then it is skipped, and said)
    assert checks and checks[0]["step"] == 2 and all(c["episodes"] == 2 for c in checks)
    assert all(0.0 <= c["crafter_score"] <= 100.0 and 1 <= c["mean_length"] <= 5
               for c in checks)
    assert checks[0]["seeds"] == [100000, 100001]
    best = json.loads((out / "best-play.json").read_text())
    assert best["crafter_score"] == max(c["crafter_score"] for c in checks)
    assert not list((out / "closed-loop").glob("step-*"))  # played folders are cleaned up
    assert rig_main(["play", "--agent", f"rig:{out / 'best-play'}", "--render", "none",
                     "--max-steps", "2"]) == 0


@pytest.mark.parametrize("image_input, slots", [("patches", 81), ("cnn", 16), ("cnn", 2)])
def test_frame_encoder_input_imagine_rate_and_time_budget(tokenized_store, tmp_path, capsys,
                                                          image_input, slots):
    """The frame-encoder input variants (patches, cnn, cnn with the map projected to 2 inputs)
    train and play too; --max-minutes ends the run early with a final checkpoint;
    --imagine-rate 0 leaves every training sample without its imagined frame."""
    out = tmp_path / image_input
    args = _train_args(tokenized_store, out, 50) + ["--image-input", image_input,
                                                    "--imagine-rate", "0",
                                                    "--max-minutes", "0.0001"]
    if image_input == "cnn":  # the frame alone, no observation text: acting builds the same
        args += ["--text-tokens", "0"]
    if slots == 2:
        args += ["--eye-tokens", "2"]
    assert rig_main(args) == 0
    assert "--max-minutes 0.0001 reached at step 1" in capsys.readouterr().out
    policy = json.loads((out / "final" / "rig_policy.json").read_text())
    assert policy["step"] == 1 and policy["model"]["image_input"] == image_input
    assert policy["model"]["cnn_tokens"] == (2 if slots == 2 else 0)
    # 64x64 frames: 9x9 patches of 7 pixels, or the conv eye's 4x4 map
    assert policy["sequence"]["patches"] == slots
    assert policy["sequence"]["max_text_tokens"] == (0 if image_input == "cnn" else 64)
    # no imagined frames in training here, but the anchor follows --imagination, not the rate
    text = policy["sequence"]["max_text_tokens"]
    assert policy["sequence"]["history_actions"] == 0  # the default lists no past actions
    assert policy["sequence"]["image_anchor"] == SequenceConfig(
        patches=slots, max_text_tokens=text, history_actions=0).anchor_for(0)
    assert (out / "final" / "patch_encoder.safetensors").exists()
    line = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert "loss/imagination" not in line and "loss/action" in line
    assert rig_main(["play", "--agent", f"rig:{out / 'final'}", "--render", "none",
                     "--max-steps", "2"]) == 0
    # from Python, with no world of its own: load, then act on any world's observation
    import rig.worlds
    from rig.agents.rig_agent import RigPolicy

    policy = RigPolicy.from_pretrained(str(out / "final"), seed=0)
    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=3)
    decision = policy.act(obs, info)
    assert env.action_space.contains(decision.action) and decision.action_text
    env.close()


def test_sigkill_then_resume_gives_the_same_loss_curve(tokenized_store, tmp_path):
    reference = tmp_path / "straight"
    assert rig_main(_train_args(tokenized_store, reference, 8)) == 0
    killed = tmp_path / "killed"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "rig", *_train_args(tokenized_store,
                                                                       killed, 8)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "step-0000004" / "complete").exists():
        assert process.poll() is None, "training ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / "final").exists()
    assert rig_main(_train_args(tokenized_store, killed, 8)) == 0
    straight, resumed = _losses(reference), _losses(killed)
    for step in range(5, 9):
        assert resumed[step] == pytest.approx(straight[step], rel=1e-5), step
    assert _steps_logged(killed) == list(range(1, 9))  # one line a step, none twice


def test_loader_workers_give_the_same_batches(tokenized_store, tmp_path):
    """Batches built ahead by loader processes are the batches of their steps: the same loss
    curve as building them in the training process (so resume stays exact with them)."""
    here, ahead = tmp_path / "here", tmp_path / "ahead"
    assert rig_main(_train_args(tokenized_store, here, 4) + ["--free-running", "0"]) == 0
    assert rig_main(_train_args(tokenized_store, ahead, 4) + ["--free-running", "0",
                                                              "--loader-workers", "2"]) == 0
    straight, loaded = _losses(here), _losses(ahead)
    assert sorted(loaded) == [1, 2, 3, 4]
    for step in straight:
        assert loaded[step] == pytest.approx(straight[step], rel=1e-6), step


def _steps_logged(out) -> list[int]:
    return [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]


def _cut_in_half(path) -> None:
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


def test_damaged_newest_checkpoint_resumes_from_the_one_before(tokenized_store, tmp_path,
                                                               rig_cli):
    """The newest checkpoint's weights cut short: the same command names the file, resumes
    from the checkpoint before (moving the damaged one aside) with the same losses, and logs
    each step once; with every checkpoint's trainer state damaged it stops with a clear error.
    (Both files go through the one whole-folder read; one run checks each kind of damage.)"""
    out = tmp_path / "run"
    assert rig_main(_train_args(tokenized_store, out, 4)) == 0
    straight = _losses(out)
    newest = out / "checkpoints" / "step-0000004"
    _cut_in_half(newest / "model.safetensors")
    result = rig_cli(*_train_args(tokenized_store, out, 4), timeout=300)
    said = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in said, said
    assert f"{newest / 'model.safetensors'} is damaged" in said
    assert "resuming from step-0000002, the newest checkpoint that loads" in said
    assert (out / "checkpoints" / "step-0000004.damaged" / "model.safetensors").exists()
    resumed = _losses(out)
    for step in (3, 4):
        assert resumed[step] == pytest.approx(straight[step], rel=1e-5), step
    assert _steps_logged(out) == [1, 2, 3, 4]

    for folder in (out / "checkpoints").glob("step-???????"):
        _cut_in_half(folder / "trainer_state.pt")
    result = rig_cli(*_train_args(tokenized_store, out, 6), timeout=300)
    said = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in said, said
    assert f"no checkpoint in {out / 'checkpoints'} loads" in said
    assert "step-0000004/trainer_state.pt is damaged" in said and "train from the start" in said


def test_bad_input_is_clear(tokenized_store, tmp_path, capsys):
    from rig.trajectories.store import TrajectoryStore

    assert rig_main(["train", "policy", str(tmp_path / "missing.zarr")]) == 2
    assert "no trajectory store" in capsys.readouterr().err
    raw = tmp_path / "raw.zarr"
    assert rig_main(["collect", "--out", str(raw), "--agent", "random", "--episodes", "1",
                     "--max-steps", "5", "--workers", "1"]) == 0
    with TrajectoryStore.open(raw) as store:
        assert store.num_episodes == 1
    assert rig_main(["train", "policy", str(raw), "--out", str(tmp_path / "o")]) == 1
    assert "rig data tokenize" in capsys.readouterr().err
    assert rig_main(["train", "policy", str(tokenized_store), "--preset", "huge",
                     "--out", str(tmp_path / "o2"), "--steps", "1"]) == 2
    assert "unknown preset" in capsys.readouterr().err


def test_trained_policy_plays_reasons_and_imagines(tokenized_store, tmp_path):
    from rig.trajectories.store import TrajectoryStore

    out = tmp_path / "run"
    assert rig_main(_train_args(tokenized_store, out, 2)) == 0
    record, shot = tmp_path / "played.zarr", tmp_path / "shot.png"
    assert rig_main(["play", "--agent", f"rig:{out / 'final'}", "--max-steps", "4",
                     "--render", "none", "--record", str(record), "--screenshot", str(shot)]) == 0
    with TrajectoryStore.open(record) as store:
        episode = store.episode(0)
        assert len(episode["action"]) == 4
        assert episode["imagined_frame"].shape == (4, 64, 64, 3)
        assert episode["has_imagined_frame"].all()
        assert episode["imagined_tokens"].shape[0] == 4
    assert shot.stat().st_size > 0
    # a checkpoint that lost its tile embedding, or holds a broken one, is refused clearly
    from rig.config import RigError
    from rig.policy import checkpoint

    grid_file = out / "final" / "image_grid.safetensors"
    grid_file.write_bytes(b"not safetensors")
    with pytest.raises(RigError, match="image_grid.safetensors: unreadable weights"):
        checkpoint.load(out / "final").model()
    grid_file.unlink()
    with pytest.raises(RigError, match="has no image_grid.safetensors"):
        checkpoint.load(out / "final").model()


def test_policy_checkpoint_errors(tmp_path):
    from rig.config import RigError
    from rig.policy import checkpoint

    with pytest.raises(RigError, match="not a RIG policy checkpoint"):
        checkpoint.load(tmp_path)
    (tmp_path / "rig_policy.json").write_text("{broken")
    with pytest.raises(RigError, match="not valid JSON"):
        checkpoint.load(tmp_path)


def test_two_processes_through_accelerate_launch(tokenized_store, tmp_path):
    out = tmp_path / "ddp"
    args = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2",
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "-m", "rig", *_train_args(tokenized_store, out, 2)[:-2]]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "final" / "model.safetensors").is_file()
    assert sorted(_losses(out)) == [1, 2]


def test_init_from_a_local_hugging_face_model_extends_its_vocabulary(tokenized_store, tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    base = tmp_path / "tiny-llama"
    config = LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=1024)
    LlamaForCausalLM(config).save_pretrained(base)
    out = tmp_path / "from-llama"
    assert rig_main([*_train_args(tokenized_store, out, 2), "--init-from", str(base)]) == 0
    saved = json.loads((out / "final" / "config.json").read_text())
    vocab = json.loads((out / "final" / "vocab.json").read_text())
    assert saved["model_type"] == "llama" and saved["hidden_size"] == 32
    assert saved["vocab_size"] >= 200 + 32 + len(vocab["action_names"])
    assert rig_main(["play", "--agent", f"rig:{out / 'final'}", "--max-steps", "2",
                     "--render", "none"]) == 0
    no_weights = tmp_path / "empty-model"
    no_weights.mkdir()
    (no_weights / "config.json").write_text(json.dumps(config.to_dict()))
    assert rig_main([*_train_args(tokenized_store, tmp_path / "x", 1), "--init-from",
                     str(no_weights)]) == 1


def test_policy_plays_several_worlds_in_one_batch(tokenized_store, tmp_path):
    from rig.trajectories.store import TrajectoryStore

    out = tmp_path / "run"
    assert rig_main(_train_args(tokenized_store, out, 1)) == 0
    record = tmp_path / "batch.zarr"
    assert rig_main(["play", "--agent", f"rig:{out / 'final'}", "--episodes", "3",
                     "--num-worlds", "2", "--max-steps", "3", "--render", "none",
                     "--record", str(record), "--seed", "20"]) == 0
    with TrajectoryStore.open(record) as store:
        assert store.num_episodes == 3
        assert sorted(int(s) for s in store.read_meta("seed")) == [20, 21, 22]
        for i in range(3):
            episode = store.episode(i)
            assert len(episode["action"]) == 3 and episode["has_imagined_frame"].all()


def test_eval_imagination_reports_policy_and_copy_baseline(tokenized_store, tmp_path, capsys):
    out = tmp_path / "run"
    assert rig_main(_train_args(tokenized_store, out, 1)) == 0
    report = tmp_path / "imagination.json"
    assert rig_main(["eval", "imagination", "--agent", f"rig:{out / 'final'}", "--data",
                     str(tokenized_store), "--holdout-seed", "3", "--transitions", "5",
                     "--batch", "3", "--json", str(report)]) == 0
    figures = json.loads(report.read_text())
    assert figures["transitions"] == 5
    for predictor in ("imagined", "copy_current"):
        assert 0 < figures["all"][predictor]["psnr"] <= 100
    assert "copy_current" in capsys.readouterr().out
    assert rig_main(["eval", "imagination", "--agent", f"rig:{out / 'final'}", "--data",
                     str(tokenized_store), "--holdout-seed", "999"]) == 1


def test_only_finished_checkpoints_count(tmp_path):
    """A folder being written (`.tmp`, even once its marker is in) or moved aside (`.damaged`)
    is never taken for the newest checkpoint; step numbers sort as numbers."""
    from rig.policy.checkpoint import DONE_FILE, checkpoint_folders, latest_checkpoint

    for name in ("step-0000002", "step-0000010", "step-0000010.tmp", "step-0000012.tmp",
                 "step-0000014.damaged", "step-10000000", "step-0000016"):
        folder = tmp_path / "checkpoints" / name
        folder.mkdir(parents=True)
        if name != "step-0000016":  # killed before its marker
            (folder / DONE_FILE).write_text("ok\n")
    assert [p.name for p in checkpoint_folders(tmp_path)] == [
        "step-0000002", "step-0000010", "step-10000000"]
    assert latest_checkpoint(tmp_path).name == "step-10000000"


def test_bench_train_times_the_trainer_against_a_bare_loop(tokenized_store, capsys):
    assert rig_main(["bench", "train", "--data", str(tokenized_store), "--steps", "2",
                     "--rounds", "1", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    bare = next(line for line in out.splitlines() if line.startswith("bare torch loop"))
    trainer = next(line for line in out.splitlines() if line.startswith("rig train policy"))
    assert float(bare.split()[-2]) > 0 and float(bare.split()[-1]) == 1.0
    ratio = float(trainer.split()[4])
    assert 0.0 < ratio < 10.0


def test_eye_from_starts_the_cnn_eye_from_a_bc_baseline(tokenized_store, tmp_path, capsys):
    """--eye-from bc:OUT: a new run's cnn eye holds the baseline's convolutions; widths that
    differ, or an eye that is not the cnn, are refused clearly."""
    import torch
    from safetensors.torch import load_file

    from rig.policy import bc, checkpoint

    baseline = tmp_path / "bc"
    assert rig_main(["train", "bc", str(tokenized_store), "--out", str(baseline), "--steps",
                     "2", "--batch-size", "4", "--device", "cpu", "--threads", "1"]) == 0
    out = tmp_path / "run"
    assert rig_main(_train_args(tokenized_store, out, 1) + [
        "--image-input", "cnn", "--eye-from", str(baseline), "--lr", "1e-12",
        "--free-running", "0"]) == 0
    assert f"cnn eye: the convolutions of {baseline}" in capsys.readouterr().out
    _, wanted = bc.conv_state(baseline)
    eye = load_file(str(out / "final" / "patch_encoder.safetensors"))
    for name, tensor in wanted.items():  # one step at a learning rate of 1e-12 moves nothing
        torch.testing.assert_close(eye[f"conv.{name}"], tensor, atol=1e-6, rtol=0)
    assert checkpoint.load(out / "final").meta["train"]["eye_from"] == str(baseline)
    narrow = tmp_path / "narrow"
    assert rig_main(["train", "bc", str(tokenized_store), "--out", str(narrow), "--steps", "1",
                     "--channels", "8", "8", "8", "8", "--device", "cpu", "--threads", "1"]) == 0
    assert rig_main(_train_args(tokenized_store, tmp_path / "r2", 1) + [
        "--image-input", "cnn", "--eye-from", str(narrow)]) == 1
    assert "convolutions have widths [8, 8, 8, 8]" in capsys.readouterr().err
    assert rig_main(_train_args(tokenized_store, tmp_path / "r3", 1) + [
        "--eye-from", str(baseline)]) == 2
    assert "needs --image-input cnn" in capsys.readouterr().err
    assert rig_main(_train_args(tokenized_store, tmp_path / "r4", 1) + [
        "--eye-tokens", "2"]) == 2  # the projection of the conv map: a cnn eye's option
    assert "--eye-tokens shapes the cnn eye" in capsys.readouterr().err
    assert rig_main(_train_args(tokenized_store, tmp_path / "r5", 1) + [
        "--image-input", "cnn", "--eye-tokens", "-1"]) == 2
    assert "--eye-tokens must be >= 0" in capsys.readouterr().err


def test_reason_rate_leaves_reasoning_out_of_training_not_out_of_acting(tokenized_store,
                                                                        tmp_path, capsys):
    """--reason-rate 0: no training sample holds the teacher's reasoning (the action follows
    the observation), yet acting still opens with <think> and writes reasoning before acting;
    the option is refused without reasoning."""
    out = tmp_path / "noreason-rate"
    args = _train_args(tokenized_store, out, 3) + ["--reason-rate", "0", "--image-input",
                                                    "cnn", "--text-tokens", "0"]
    assert rig_main(args) == 0
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    trained = [line for line in lines if "loss/action" in line]
    assert trained and all("loss/reasoning" not in line for line in trained)
    policy = json.loads((out / "final" / "rig_policy.json").read_text())
    assert policy["sequence"]["reasoning"] is True
    import rig.worlds
    from rig.agents.rig_agent import RigPolicy

    env = rig.worlds.make("rig/Crafter-v0")
    agent = RigPolicy(env, str(out / "final"), seed=0, imagine=False)
    obs, info = env.reset(seed=3)
    decision = agent.act(obs, info)
    assert decision.reasoning is not None and decision.action_text
    assert agent.decoder.parts[0].opens == ("<think>",)
    capsys.readouterr()
    assert rig_main(args[:-6] + ["--no-reasoning", "--reason-rate", "0.5"]) == 2
    assert "--reason-rate" in capsys.readouterr().err


def test_imagine_from_frame_trains_plays_and_scores_imagination(tokenized_store, tmp_path,
                                                                capsys):
    """`--imagine-from-frame`: an eye policy's imagined frame follows the observed frame's
    codes restated before it, in training, in play (the frame is encoded when it imagines)
    and in `rig eval imagination`; it is refused where the codes are already in view."""
    from rig.trajectories.store import TrajectoryStore

    out = tmp_path / "restated"
    args = _train_args(tokenized_store, out, 3) + ["--image-input", "cnn", "--eye-tokens", "2",
                                                   "--text-tokens", "0", "--imagine-from-frame"]
    assert rig_main(args) == 0
    policy = json.loads((out / "final" / "rig_policy.json").read_text())
    assert policy["sequence"]["imagine_from_frame"] is True
    record = tmp_path / "played.zarr"
    assert rig_main(["play", "--agent", f"rig:{out / 'final'}", "--max-steps", "3",
                     "--render", "none", "--record", str(record)]) == 0
    with TrajectoryStore.open(record) as store:
        assert store.episode(0)["has_imagined_frame"].all()
    assert rig_main(["play", "--agent", f"rig:{out / 'final'}", "--max-steps", "2",
                     "--render", "none", "--no-imagine"]) == 0
    report = tmp_path / "imagination.json"
    assert rig_main(["eval", "imagination", "--agent", f"rig:{out / 'final'}", "--data",
                     str(tokenized_store), "--holdout-seed", "3", "--transitions", "4",
                     "--json", str(report)]) == 0
    assert json.loads(report.read_text())["transitions"] == 4
    capsys.readouterr()
    assert rig_main(_train_args(tokenized_store, tmp_path / "bad", 1)
                    + ["--imagine-from-frame"]) == 2
    assert "already in view" in capsys.readouterr().err


def test_votes_act_on_the_action_most_samples_chose(tokenized_store, tmp_path, capsys):
    """`--votes N` (self-consistency): each step is decoded N times in one batch and the most
    chosen action is acted on; policies that see more than one step refuse it clearly."""
    from collections import Counter

    import rig.worlds
    from rig.agents.rig_agent import RigPolicy
    from rig.config import ConfigError

    out = tmp_path / "one-step"
    assert rig_main(_train_args(tokenized_store, out, 2) + ["--context-steps", "1"]) == 0
    policy = RigPolicy.from_pretrained(str(out / "final"), seed=0, votes=5, imagine=False)
    samples = []
    step = policy.decoder.step
    policy.decoder.step = lambda *args: samples.append(step(*args)) or samples[-1]
    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=3)
    for _ in range(4):
        decision = policy.act(obs, info)
        names = [policy.vocab.action_name(o.action_id) for o in samples[-1]]
        assert len(names) == 5
        top = Counter(names).most_common(1)[0][1]
        assert names.count(decision.action_text) == top  # a most chosen action
        obs, *_ , info = env.step(decision.action)
    env.close()
    assert rig_main(["eval", "--agent", f"rig:{out / 'final'}", "--episodes", "1", "--max-steps",
                     "3", "--workers", "1", "--votes", "3", "--no-imagine",
                     "--json", str(tmp_path / "votes.json")]) == 0
    assert json.loads((tmp_path / "votes.json").read_text())["votes"] == 3
    two = tmp_path / "two-steps"
    assert rig_main(_train_args(tokenized_store, two, 1)) == 0  # context 2 by default
    with pytest.raises(ConfigError, match="sees one step at a time"):
        RigPolicy.from_pretrained(str(two / "final"), votes=2)
    capsys.readouterr()
    assert rig_main(["eval", "--agent", f"rig:{two / 'final'}", "--episodes", "1",
                     "--workers", "1", "--votes", "2"]) == 2
    assert "sees one step at a time" in capsys.readouterr().err


def test_a_plan_is_trained_written_and_followed(tokenized_store, tmp_path, capsys):
    """`--plan-actions P`: the policy writes P more actions after its own; `--follow-plan`
    commit takes them without deciding, vote acts on the action most of the last P + 1
    decisions named for the step, first on the step's own action."""
    from collections import Counter

    import rig.worlds
    from rig.agents.rig_agent import RigPolicy
    from rig.config import ConfigError

    out = tmp_path / "plan"
    assert rig_main(_train_args(tokenized_store, out, 2) + [
        "--context-steps", "1", "--plan-actions", "2"]) == 0
    assert json.loads((out / "final" / "rig_policy.json").read_text())[
        "sequence"]["plan_actions"] == 2
    env = rig.worlds.make("rig/Crafter-v0")

    def play(follow, steps=9):
        policy = RigPolicy.from_pretrained(str(out / "final"), seed=0, imagine=True,
                                           follow_plan=follow)
        obs, info = env.reset(seed=3)
        decisions = []
        for _ in range(steps):
            decisions.append(policy.act(obs, info))
            obs, *_, info = env.step(decisions[-1].action)
        return decisions

    committed = play("commit")
    decided = [d for d in committed if not d.extras.get("planned")]
    assert len(decided) == 3  # one decision every 3 steps
    for k in range(0, 9, 3):
        plan = committed[k].extras["plan"]
        assert len(plan) == 2 and committed[k].imagined_frame is not None
        assert [d.action_text for d in committed[k + 1:k + 3]] == plan
        assert committed[k].action_text == committed[k].extras["own_action"]
    for d in play("first"):
        assert d.action_text == d.extras["own_action"] and len(d.extras["plan"]) == 2
    voted = play("vote")
    for t, d in enumerate(voted):  # the named actions: this decision's and two earlier plans'
        named = [d.extras["own_action"]] + [voted[t - k].extras["plan"][k - 1]
                                            for k in (1, 2) if t - k >= 0]
        count = Counter(named)
        assert count[d.action_text] == max(count.values()) == d.extras["plan_votes"]
        assert d.action_text == d.extras["own_action"] or count[d.action_text] > 1
    env.close()
    assert rig_main(["eval", "--agent", f"rig:{out / 'final'}", "--episodes", "2",
                     "--max-steps", "5", "--workers", "1", "--num-worlds", "2",
                     "--follow-plan", "commit", "--no-imagine",
                     "--json", str(tmp_path / "plan.json")]) == 0
    assert json.loads((tmp_path / "plan.json").read_text())["follow_plan"] == "commit"
    two = tmp_path / "two-steps"
    assert rig_main(_train_args(tokenized_store, two, 1) + ["--plan-actions", "1"]) == 0
    with pytest.raises(ConfigError, match="one step at a time"):
        RigPolicy.from_pretrained(str(two / "final"), follow_plan="commit")
    capsys.readouterr()
    assert rig_main(["eval", "--agent", f"rig:{two / 'final'}", "--episodes", "1",
                     "--workers", "1", "--follow-plan", "sometimes"]) == 2
    assert "--follow-plan must be" in capsys.readouterr().err
    assert rig_main(["eval", "--agent", f"rig:{out / 'final'}", "--episodes", "1",
                     "--workers", "1", "--lookahead", "1"]) == 2
    assert "writes a plan of 2 actions" in capsys.readouterr().err
