"""rig train tokenizer / eval tokenizer / data tokenize / bench tokenizer on a tiny store."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from rig.config import RigError  # noqa: E402
from rig.eval.tokenizer import EvalTokenizerConfig, eval_tokenizer  # noqa: E402
from rig.imagination.tokenizer import ImageTokenizer  # noqa: E402
from rig.train.tokenizer import TrainTokenizerConfig, train_tokenizer  # noqa: E402
from rig.trajectories import TrajectoryStore, check_store  # noqa: E402
from rig.trajectories.synthetic import make_episode  # noqa: E402
from rig.trajectories.tokenize import (DataTokenizeConfig, data_tokenize,  # noqa: E402
                                       tokenized_steps)

TINY = dict(image_size=16, channels=[32, 32], layers_per_block=1, latent_channels=8,
            codebook_size=16, code_dim=4)


def _store(path, seeds, length=10):
    with TrajectoryStore.open(path, "a") as store:
        for i, seed in enumerate(seeds):
            store.append_episode(make_episode(i, length, seed=seed, size=16))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tok")
    data = _store(root / "frames.zarr", [0, 1, 2, 1000, 1001])
    config = TrainTokenizerConfig(**TINY, data=str(data), out=str(root / "ckpt"), steps=8,
                                  batch_size=8, val_every=4, checkpoint_every=4,
                                  restart_every=2, device="cpu")
    config.validate()
    train_tokenizer(config)
    return root, data, config


def test_train_writes_a_loadable_checkpoint_with_history(trained):
    root, _, _ = trained
    state = json.loads((root / "ckpt" / "train_state.json").read_text())
    assert state["step"] == 8 and [h["step"] for h in state["history"]] == [4, 8]
    assert {"psnr", "ssim", "perplexity", "dead_share"} <= set(state["last_val"])
    tok = ImageTokenizer.from_pretrained(root / "ckpt")
    assert tok.grid == 8 and tok.codebook_size == 16


def test_resume_continues_from_the_checkpoint(trained, capsys):
    root, _, config = trained
    before = ImageTokenizer.from_pretrained(root / "ckpt")
    config.steps = 10
    train_tokenizer(config)
    assert "resuming at step 8" in capsys.readouterr().out
    state = json.loads((root / "ckpt" / "train_state.json").read_text())
    assert state["step"] == 10
    after = ImageTokenizer.from_pretrained(root / "ckpt")
    w0 = before.vq.decoder.conv_out.weight
    assert not torch.equal(w0, after.vq.decoder.conv_out.weight)   # it trained on
    config.steps = 8


def test_resume_refuses_a_different_shape(trained):
    root, _, config = trained
    other = TrainTokenizerConfig(**{**TINY, "codebook_size": 32}, data=config.data,
                                 out=config.out, steps=12, device="cpu")
    with pytest.raises(RigError, match="different tokenizer shape"):
        train_tokenizer(other)


def test_train_needs_held_out_episodes(tmp_path):
    data = _store(tmp_path / "s.zarr", [0, 1])
    config = TrainTokenizerConfig(**TINY, data=str(data), out=str(tmp_path / "o"), steps=1,
                                  device="cpu")
    with pytest.raises(RigError, match="seed >= --holdout-seed"):
        train_tokenizer(config)


def test_eval_prints_figures_and_writes_png(trained, tmp_path, capsys):
    root, data, _ = trained
    out = tmp_path / "eval.json"
    png = tmp_path / "grid.png"
    eval_tokenizer(EvalTokenizerConfig(tokenizer=str(root / "ckpt"), data=str(data),
                                       png=str(png), json=str(out), device="cpu"))
    text = capsys.readouterr().out
    for words in ("PSNR", "SSIM", "perplexity", "dead codes", "copy-current-frame", str(png)):
        assert words in text
    result = json.loads(out.read_text())
    assert result["frames"] == 20 and result["episodes"] == 2
    from PIL import Image
    assert Image.open(png).size[0] > 4 * 2 * 16


def test_data_tokenize_writes_ids_and_resumes(trained, tmp_path, capsys):
    root, _, _ = trained
    data = _store(tmp_path / "t.zarr", [5, 6, 7])
    config = DataTokenizeConfig(data=str(data), tokenizer=str(root / "ckpt"), block=7,
                                device="cpu")
    data_tokenize(config)
    tok = ImageTokenizer.from_pretrained(root / "ckpt")
    with TrajectoryStore.open(data, "r") as store:
        ids = store.read("image_tokens")
        assert ids.shape == (30, 64) and ids.dtype == np.int16
        assert np.array_equal(ids.reshape(-1, 8, 8), tok.encode(store.read("image")))
        assert tokenized_steps(store) == 30
        assert store.attrs["image_tokens"]["grid"] == [8, 8]
    assert check_store(data)[0] == []
    data_tokenize(config)
    assert "already hold image tokens" in capsys.readouterr().out
    with TrajectoryStore.open(data, "a") as store:           # a later episode: zero rows...
        store.append_episode(make_episode(9, 10, seed=9, size=16))
        assert tokenized_steps(store) == 30
    data_tokenize(config)                                    # ...until tokenized again
    with TrajectoryStore.open(data, "r") as store:
        assert tokenized_steps(store) == 40
        assert np.array_equal(store.read("image_tokens", 30, 40).reshape(-1, 8, 8),
                              tok.encode(store.read("image", 30, 40)))
    assert check_store(data)[0] == []
    with TrajectoryStore.open(data, "a") as store:           # the ids removed, the count left:
        store.remove_step_key("image_tokens")                # the count vouches for nothing
        assert store.attrs["image_tokens"]["steps"] == 40
    data_tokenize(config)
    with TrajectoryStore.open(data, "r") as store:
        assert tokenized_steps(store) == 40
        assert np.array_equal(store.read("image_tokens").reshape(-1, 8, 8),
                              tok.encode(store.read("image")))


def test_data_tokenize_refuses_frames_of_another_size(trained, tmp_path):
    root, _, _ = trained
    path = tmp_path / "big.zarr"
    with TrajectoryStore.open(path, "a") as store:
        store.append_episode(make_episode(0, 3, size=32))
    with pytest.raises(RigError, match="frames of shape"):
        data_tokenize(DataTokenizeConfig(data=str(path), tokenizer=str(root / "ckpt"),
                                         device="cpu"))


def test_bench_prints_frames_per_second(trained, capsys):
    from rig.eval.bench_tokenizer import BenchTokenizerConfig, bench_tokenizer
    root, _, _ = trained
    bench_tokenizer(BenchTokenizerConfig(tokenizer=str(root / "ckpt"), batch_size=8, rounds=1,
                                         devices="cpu"))
    text = capsys.readouterr().out
    assert "encode" in text and "decode" in text and "frames/s" in text


def test_cli_errors_are_clear(rig_cli, tmp_path):
    result = rig_cli("eval", "tokenizer", "--tokenizer", str(tmp_path), "--data", "x.zarr")
    assert result.returncode == 1 and "no tokenizer.json" in result.stderr
    assert "Traceback" not in result.stderr
    result = rig_cli("train", "tokenizer", "--channels", "30", "60", "--data", "x.zarr")
    assert result.returncode == 2 and "norm_groups" in result.stderr


def test_time_limit_stops_with_a_checkpoint_then_continues(tmp_path, capsys):
    data = _store(tmp_path / "s.zarr", [0, 1000], length=6)
    config = TrainTokenizerConfig(**TINY, data=str(data), out=str(tmp_path / "o"), steps=5,
                                  batch_size=4, time_limit=1e-6, device="cpu")
    train_tokenizer(config)
    assert "time limit reached at step 1/5" in capsys.readouterr().out
    state = json.loads((tmp_path / "o" / "train_state.json").read_text())
    assert state["step"] == 1 and state["last_val"] is not None
    config.time_limit = 0
    train_tokenizer(config)
    assert "done: 5 steps" in capsys.readouterr().out


def test_random_crops_are_token_aligned_windows_of_each_image():
    from rig.train.tokenizer import random_crops
    x = torch.arange(2 * 1 * 12 * 8, dtype=torch.float32).reshape(2, 1, 12, 8)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        crops = random_crops(x, 4, 4, gen)
        assert crops.shape == (2, 1, 4, 4)
        for image, crop in zip(x, crops):
            # the crop's top-left value tells where it was cut: offsets are multiples of 4
            flat = int((crop[0, 0, 0] - image[0, 0, 0]).item())
            y, c = divmod(flat, 8)
            assert y % 4 == 0 and c % 4 == 0
            assert torch.equal(crop, image[:, y:y + 4, c:c + 4])


def test_crop_training_runs_on_windows_and_validates_whole_frames(tmp_path, capsys):
    data = _store(tmp_path / "s.zarr", [0, 1000], length=6)
    config = TrainTokenizerConfig(**{**TINY, "image_size": 16, "channels": [32, 32, 32]},
                                  data=str(data), out=str(tmp_path / "o"), steps=3,
                                  batch_size=4, crop=8, device="cpu")
    config.validate()
    train_tokenizer(config)
    assert "done: 3 steps" in capsys.readouterr().out
    tokenizer = ImageTokenizer.from_pretrained(tmp_path / "o")
    assert tokenizer.grid_shape == (4, 4)   # whole 16x16 frames at /4, though it saw 8x8 crops
    for bad in (dict(crop=6), dict(crop=32), dict(crop=8, mid_attention=True)):
        with pytest.raises(Exception, match="--crop"):
            TrainTokenizerConfig(**{**TINY, "channels": [32, 32, 32], **bad},
                                 data=str(data)).validate()


def test_detail_weights_favour_strokes_and_keep_the_loss_scale():
    from rig.train.tokenizer import detail_weights
    x = torch.ones(1, 3, 8, 8)
    x[:, :, :, 4:] = -1.0                      # a black stroke on white: an edge at column 4
    weights = detail_weights(x, 4.0)
    assert weights.shape == (1, 1, 8, 8) and weights.mean().item() == pytest.approx(1.0)
    assert weights[0, 0, :, 3:5].min() > weights[0, 0, :, 0].max()   # the edge weighs more
    flat = detail_weights(torch.zeros(2, 3, 8, 8), 4.0)
    assert torch.allclose(flat, torch.ones_like(flat))               # no detail: plain MSE
