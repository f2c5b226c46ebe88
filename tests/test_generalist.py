"""One policy for two worlds seen through two image tokenizers (Crafter's square frames, MiniWoB's
210x160 screenshots): the codes sit in separate blocks of one vocabulary, each world's frames
get their own grid of tile slots, training mixes the stores by share, and the checkpoint plays
both worlds in their own codes. Drives a real headless Chromium, like tests/test_miniwob.py."""

import json
import os
import shutil

import numpy as np
import pytest

from rig.cli import main as rig_main

CLICK = "rig/MiniWoB-click-test-v0"


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """(Crafter store, MiniWoB store), each tokenized by its own tiny untrained tokenizer."""
    from rig.imagination.tokenizer import ImageTokenizer, TokenizerConfig

    root = tmp_path_factory.mktemp("generalist")
    crafter, gui = root / "crafter.zarr", root / "gui.zarr"
    assert rig_main(["collect", "--out", str(crafter), "--agent", "random", "--episodes", "4",
                     "--max-steps", "20", "--workers", "1"]) == 0
    assert rig_main(["collect", "--out", str(gui), "--world", CLICK, "--agent", "expert",
                     "--episodes", "4", "--workers", "1"]) == 0
    assert rig_main(["collect", "--out", str(gui), "--world", CLICK, "--agent", "expert",
                     "--episodes", "2", "--seed", "1000", "--workers", "1"]) == 0
    tokenizers = {
        crafter: TokenizerConfig(channels=[32, 32, 32, 32], latent_channels=8, codebook_size=32,
                                 code_dim=8),
        gui: TokenizerConfig(image_size=160, image_height=210, resize=[20, 16],
                             channels=[8, 8, 8], norm_groups=8, latent_channels=8,
                             codebook_size=16, code_dim=4)}
    for store, config in tokenizers.items():
        folder = root / f"{store.stem}-tokenizer"
        ImageTokenizer(config).save_pretrained(folder)
        assert rig_main(["data", "tokenize", "--data", str(store), "--tokenizer", str(folder),
                         "--device", "cpu"]) == 0
    return crafter, gui


def _train(stores, out, *extra):
    return rig_main(["train", "policy", *map(str, stores), "--out", str(out), "--steps", "2",
                     "--batch-size", "4", "--checkpoint-every", "2", "--eval-every", "2",
                     "--warmup", "1", "--text-vocab", "200", "--context-steps", "1",
                     "--device", "cpu", "--threads", "1", "--val-fraction", "0.3", *extra])


def test_step_positions_give_each_tokenizer_its_own_tile_slots():
    from rig.policy.sequence import StepPositions

    obs, imagine = 1, 2
    blocks = [(range(100, 132), 0), (range(132, 148), 64)]  # 8x8 grid, then a 5x4 grid
    positions = StepPositions(obs, imagine, 0, blocks)
    ids = [obs, 100, 131, 5, imagine, 101, obs, 132, 147, 140, imagine, 133]
    _, slots, _ = positions.assign(ids)
    assert slots.tolist() == [-1, 0, 1, -1, -1, 0, -1, 64, 65, 66, -1, 64]


def test_generalist_trains_on_two_tokenizers_and_plays_both_worlds(stores, tmp_path):
    from rig.agents.rig_agent import RigPolicy
    import rig.worlds

    out = tmp_path / "generalist"
    assert _train(stores, out, "--mix", "0.5", "0.5") == 0
    final = out / "final"
    meta = json.loads((final / "rig_policy.json").read_text())
    codecs = meta["image_codecs"]
    assert [c["offset"] for c in codecs] == [0, 32]
    assert codecs[0]["worlds"] == ["rig/Crafter-v0"] and codecs[1]["worlds"] == [CLICK]
    assert meta["sequence"]["image_grids"] == [[32, 8, 8], [16, 5, 4]]
    assert meta["model"]["image_grid"] == 64 + 20
    assert (final / "image_tokenizer").is_dir() and (final / "image_tokenizer-1").is_dir()

    crafter = rig.worlds.make("rig/Crafter-v0")
    gui = rig.worlds.make(CLICK)
    try:
        for env, shape, grid, codes in ((crafter, (64, 64, 3), (8, 8), 32),
                                        (gui, (210, 160, 3), (5, 4), 16)):
            obs, info = env.reset(seed=3000)
            policy = RigPolicy(env, str(final), seed=0)
            decision = policy.act(obs, info)
            assert decision.imagined_frame.shape == shape
            # the imagined frame is written in this world's own block of codes
            assert decision.imagined_tokens.shape == grid
            assert 0 <= decision.imagined_tokens.min() and decision.imagined_tokens.max() < codes
            env.step(decision.action)  # a parsed action of the world's own language
    finally:
        gui.close()


def test_join_frames_keeps_order_and_splits_runs_of_different_shapes():
    from rig.policy.transformer import join_frames

    square, screen = np.zeros((2, 64, 64, 3), np.uint8), np.ones((1, 210, 160, 3), np.uint8)
    assert join_frames([None, square[:1], square[1:]]).shape == (2, 64, 64, 3)
    runs = join_frames([square, screen, square[:1]])
    assert [r.shape for r in runs] == [(2, 64, 64, 3), (1, 210, 160, 3), (1, 64, 64, 3)]
    assert join_frames([None, np.zeros((0, 64, 64, 3))]) is None


def test_cnn_eye_generalist_reads_frames_of_both_shapes(stores, tmp_path):
    """The cnn eye pools any frame size to its grid: one batch holds Crafter's 64x64 frames and
    MiniWoB's 210x160 screenshots (it failed on concatenating them), and the checkpoint acts
    in both worlds from their own pixels."""
    from rig.agents.rig_agent import RigPolicy
    import rig.worlds

    out = tmp_path / "cnn-generalist"
    assert _train(stores, out, "--mix", "0.5", "0.5", "--image-input", "cnn", "--eye-tokens",
                  "2", "--preset", "micro", "--batch-size", "8") == 0
    crafter = rig.worlds.make("rig/Crafter-v0")
    gui = rig.worlds.make(CLICK)
    try:
        for env, shape in ((crafter, (64, 64, 3)), (gui, (210, 160, 3))):
            obs, info = env.reset(seed=3001)
            decision = RigPolicy(env, str(out / "final"), seed=0).act(obs, info)
            assert decision.imagined_frame.shape == shape
            env.step(decision.action)
    finally:
        gui.close()


def test_eval_miniwob_tables_the_generalist_beside_the_random_clicker(stores, tmp_path, capsys):
    out = tmp_path / "generalist"
    assert _train(stores, out) == 0
    report = tmp_path / "miniwob.json"
    assert rig_main(["eval", "miniwob", "--tasks", "click-test", "--episodes", "2",
                     "--max-steps", "2", "--agents", "random", f"rig:{out / 'final'}",
                     "--no-imagine", "--json", str(report)]) == 0
    table = json.loads(report.read_text())
    assert set(table["success"]["click-test"]) == {"random", f"rig:{out / 'final'}"}
    assert len(table["episodes"]) == 4 and table["seeds"] == [2000, 2001]
    assert "| **mean** |" in capsys.readouterr().out
    assert rig_main(["eval", "miniwob", "--tasks", "no-such-task"]) == 2


def test_mix_sets_each_store_share_of_a_batch(stores, tmp_path):
    from rig.train.policy_run import PolicyRun
    from rig.train.train_policy import PolicyTrainConfig

    config = PolicyTrainConfig(data=[str(s) for s in stores], out=str(tmp_path / "mix"),
                               batch_size=6, mix=[0.0, 1.0], text_vocab=200, context_steps=1,
                               device="cpu", threads=1)
    run = PolicyRun(config)
    run.setup()
    images = run.vocab.images
    for step in range(3):  # every sample is a screenshot: image ids in the second block only
        ids = run.batch(step)[0]
        image_ids = ids[(ids >= images.start) & (ids < images.stop)]
        assert len(image_ids) and int(image_ids.min()) >= images.start + 32


def test_a_world_the_generalist_never_saw_is_refused(stores, tmp_path):
    import rig.worlds
    from rig.agents.rig_agent import RigPolicy
    from rig.config import RigError

    out = tmp_path / "generalist"
    assert _train(stores, out) == 0
    env = rig.worlds.make("rig/MiniWoB-click-button-v0")
    try:
        with pytest.raises(RigError, match="was not trained on rig/MiniWoB-click-button-v0"):
            RigPolicy(env, str(out / "final"))
    finally:
        env.close()


def test_eval_resolution_measures_detail_at_each_size(stores, tmp_path, capsys):
    report = tmp_path / "resolution.json"
    assert rig_main(["eval", "resolution", "--data", str(stores[1]), "--sizes", "26x20",
                     "104x80", "--json", str(report), "--png", str(tmp_path / "r.png")]) == 0
    rows = json.loads(report.read_text())["sizes"]
    assert [r["size"] for r in rows] == [[26, 20], [104, 80]]
    # more pixels keep more of the screen: the measurement must see it
    assert rows[1]["psnr"] > rows[0]["psnr"] and rows[1]["detail_psnr"] > rows[0]["detail_psnr"]
    assert rows[1]["grids"]["8"] == [13, 10] and rows[0]["grids"]["16"] is None
    assert (tmp_path / "r.png").is_file() and "104x80" in capsys.readouterr().out
    assert rig_main(["eval", "resolution", "--data", str(stores[1]), "--sizes", "10by3"]) == 2
    assert np.isfinite(rows[0]["psnr"])


@pytest.mark.skipif(shutil.which("tesseract") is None and not os.environ.get("CI"),
                    reason="tesseract is not installed; CI always has it")
def test_eval_resolution_and_tokenizer_report_ocr_word_recall(stores, tmp_path):
    report = tmp_path / "resolution.json"
    assert rig_main(["eval", "resolution", "--data", str(stores[1]), "--sizes", "13x10",
                     "210x160", "--ocr-frames", "3", "--json", str(report)]) == 0
    small, full = (row["ocr"] for row in json.loads(report.read_text())["sizes"])
    assert full["words"] >= 3 and full["word_recall"] == 1.0   # the frames as they are
    assert small["word_recall"] < 0.5                           # 13x10 keeps no glyph
    folder = stores[1].parent / "gui-tokenizer"                 # untrained: reads nothing
    assert rig_main(["eval", "tokenizer", "--tokenizer", str(folder), "--data", str(stores[1]),
                     "--ocr-frames", "3", "--json", str(tmp_path / "t.json"),
                     "--device", "cpu"]) == 0
    ocr = json.loads((tmp_path / "t.json").read_text())["ocr"]
    assert ocr["words"] == full["words"] and ocr["word_recall"] < 0.5
