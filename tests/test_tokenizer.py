"""The image tokenizer API (tiny config): shapes, dtypes, batching, checkpoints, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from rig.config import ConfigError  # noqa: E402
from rig.imagination.tokenizer import (ImageTokenizer, TokenizerConfig,  # noqa: E402
                                       TokenizerError, WEIGHTS_NAME)

TINY = dict(image_size=16, channels=[32, 32], layers_per_block=1, latent_channels=8,
            codebook_size=16, code_dim=4)


@pytest.fixture(scope="module")
def tok():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return ImageTokenizer(TokenizerConfig(**TINY))


@pytest.fixture(scope="module")
def frames():
    return np.random.default_rng(0).integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)


def test_encode_decode_shapes_and_dtypes(tok, frames):
    assert tok.grid == 8 and tok.config.tokens_per_frame == 64
    ids = tok.encode(frames)
    assert ids.shape == (5, 8, 8) and ids.dtype == np.int32
    assert ids.min() >= 0 and ids.max() < 16
    out = tok.decode(ids)
    assert out.shape == (5, 16, 16, 3) and out.dtype == np.uint8
    # torch in -> torch out
    t_ids = tok.encode(torch.from_numpy(frames))
    assert isinstance(t_ids, torch.Tensor) and t_ids.dtype == torch.int64
    assert np.array_equal(t_ids.numpy(), ids)
    t_out = tok.decode(t_ids)
    assert isinstance(t_out, torch.Tensor) and t_out.dtype == torch.uint8
    assert np.array_equal(t_out.numpy(), out)
    assert np.array_equal(tok.reconstruct(frames), out)


def test_batching_does_not_change_results(tok, frames):
    whole = tok.encode(frames, batch_size=64)
    assert np.array_equal(tok.encode(frames, batch_size=2), whole)
    assert np.array_equal(np.concatenate([tok.encode(frames[i:i + 1]) for i in range(5)]), whole)
    # pixels: equal up to one level. A convolution's float sums may round differently at
    # another batch size (oneDNN picks its kernels by shape and CPU: on an AMD EPYC one pixel
    # in 3,840 lands on the other side of a .5), which the uint8 rounding can turn into 1 level
    by_two, at_once = tok.decode(whole, batch_size=2), tok.decode(whole)
    assert np.abs(by_two.astype(int) - at_once.astype(int)).max() <= 1
    assert (by_two != at_once).mean() < 0.01
    assert tok.encode(frames[:0]).shape == (0, 8, 8)
    assert tok.decode(whole[:0]).shape == (0, 16, 16, 3)


def test_save_and_load_round_trip(tok, frames, tmp_path):
    folder = tok.save_pretrained(tmp_path / "ckpt")
    names = {p.name for p in folder.iterdir()}
    assert {"tokenizer.json", "config.json", WEIGHTS_NAME} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)
    info = json.loads((folder / "tokenizer.json").read_text())
    assert info["format"] == "rig-image-tokenizer" and info["config"]["codebook_size"] == 16
    loaded = ImageTokenizer.from_pretrained(folder)
    assert loaded.config == tok.config
    assert np.array_equal(loaded.encode(frames), tok.encode(frames))
    assert np.array_equal(loaded.decode(tok.encode(frames)), tok.decode(tok.encode(frames)))


@pytest.mark.parametrize("bad, words", [
    (np.zeros((2, 32, 32, 3), np.uint8), "16x16 frames"),
    (np.zeros((2, 16, 16, 3), np.float32), "uint8"),
    (np.zeros((2, 16, 16, 4), np.uint8), "3 channels"),
    (np.zeros((2, 3, 16, 16), np.uint8), "3 channels"),
    (np.zeros((16, 16, 3), np.uint8), "frames[None]"),
])
def test_bad_frames_are_refused(tok, bad, words):
    with pytest.raises(TokenizerError, match=None) as error:
        tok.encode(bad)
    assert words in str(error.value)


@pytest.mark.parametrize("bad, words", [
    (np.full((1, 8, 8), 16), "[0, 16)"),
    (np.full((1, 8, 8), -1), "[0, 16)"),
    (np.zeros((1, 4, 4), np.int64), "(B, 8, 8)"),
    (np.zeros((1, 8, 8), np.float32), "integers"),
])
def test_bad_token_ids_are_refused(tok, bad, words):
    with pytest.raises(TokenizerError) as error:
        tok.decode(bad)
    assert words in str(error.value)


def test_not_a_checkpoint(tok, tmp_path):
    with pytest.raises(TokenizerError, match="not a directory"):
        ImageTokenizer.from_pretrained(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TokenizerError, match="no tokenizer.json"):
        ImageTokenizer.from_pretrained(tmp_path / "empty")
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "tokenizer.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(TokenizerError, match="not a RIG tokenizer config"):
        ImageTokenizer.from_pretrained(wrong)
    (wrong / "tokenizer.json").write_text("{not json")
    with pytest.raises(TokenizerError, match="not a RIG tokenizer config"):
        ImageTokenizer.from_pretrained(wrong)
    partial = tok.save_pretrained(tmp_path / "partial")
    (partial / WEIGHTS_NAME).unlink()
    with pytest.raises(TokenizerError, match="not a complete"):
        ImageTokenizer.from_pretrained(partial)
    corrupt = tok.save_pretrained(tmp_path / "corrupt")
    (corrupt / WEIGHTS_NAME).write_bytes(b"garbage")
    with pytest.raises(TokenizerError, match="cannot load"):
        ImageTokenizer.from_pretrained(corrupt)


def test_config_validation():
    with pytest.raises(ConfigError, match="multiple of norm_groups"):
        TokenizerConfig(channels=[30, 60]).validate()
    with pytest.raises(ConfigError, match="does not divide"):
        TokenizerConfig(image_size=20, channels=[32, 32, 32, 32]).validate()
    assert TokenizerConfig().grid == 16   # the default: 64x64 frames -> 16x16 tokens


def test_tile_aligned_geometry_keeps_each_tile_in_its_own_token():
    """With tile=7 a 64x64 Crafter frame is 9x9 tiles: resized to 72x72 for a 4-block network
    (one token per 8x8 input cell), and back; every tile's pixels stay in its own cell."""
    import numpy as np
    import torch

    from rig.imagination.tokenizer import ImageTokenizer, TokenizerConfig

    tok = ImageTokenizer(TokenizerConfig(channels=[32, 32, 32, 32], latent_channels=8,
                                         codebook_size=16, code_dim=4, tile=7))
    assert tok.grid == 9 and tok.config.input_size == 72
    rng = np.random.default_rng(0)
    frame = np.zeros((1, 64, 64, 3), np.uint8)
    frame[0, :63, :63] = rng.integers(0, 256, (63, 63, 3))
    x = tok.frames_to_input(frame)
    assert tuple(x.shape) == (1, 3, 72, 72)
    cells = x[0].reshape(3, 9, 8, 9, 8)   # cell (i, j) must hold only tile (i, j)'s pixels
    tile_values = torch.from_numpy(frame[0, :63, :63]).permute(2, 0, 1).float() / 127.5 - 1
    tiles = tile_values.reshape(3, 9, 7, 9, 7)
    for i, j in ((0, 0), (4, 5), (8, 8)):
        assert set(cells[:, i, :, j].flatten().tolist()) <= set(tiles[:, i, :, j].flatten().tolist())
    back = tok.output_to_frames(x).numpy()
    assert np.array_equal(back, frame)   # exact round trip, black border included
    ids = tok.encode(frame)
    assert ids.shape == (1, 9, 9) and tok.decode(ids).shape == (1, 64, 64, 3)


def test_frames_that_are_not_square_with_a_resized_input(tmp_path):
    """MiniWoB's 210x160 screenshots: resized to the network's 20x16 input (a 5x4 token grid
    at factor 4), decoded back to 210x160; the shape survives a save and load."""
    config = TokenizerConfig(image_size=160, image_height=210, resize=[20, 16],
                             channels=[8, 8, 8], norm_groups=8, latent_channels=8,
                             codebook_size=16, code_dim=4)
    tok = ImageTokenizer(config)
    assert config.frame_shape == (210, 160) and config.grid_shape == (5, 4)
    assert config.tokens_per_frame == 20
    with pytest.raises(TokenizerError, match="5x4, not square"):
        _ = tok.grid
    screens = np.random.default_rng(1).integers(0, 256, (3, 210, 160, 3), dtype=np.uint8)
    assert tuple(tok.frames_to_input(screens).shape) == (3, 3, 20, 16)
    ids = tok.encode(screens)
    assert ids.shape == (3, 5, 4) and tok.decode(ids).shape == (3, 210, 160, 3)
    with pytest.raises(TokenizerError, match="takes 210x160 frames"):
        tok.encode(screens[:, :160])
    with pytest.raises(TokenizerError, match=r"\(B, 5, 4\)"):
        tok.decode(ids[:, :4, :4])
    loaded = ImageTokenizer.from_pretrained(tok.save_pretrained(tmp_path / "screens"))
    assert loaded.grid_shape == (5, 4) and np.array_equal(loaded.encode(screens), ids)
    # a flat colour survives the resize round trip exactly (area down, bilinear up)
    flat = np.full((1, 210, 160, 3), 200, np.uint8)
    assert np.array_equal(tok.output_to_frames(tok.frames_to_input(flat)).numpy(), flat)


def test_padded_input_is_pixel_exact():
    """--pad: MiniWoB's 210x160 screenshots go in padded to 212x160 (a 53x40 grid at /4), every
    pixel as it is, and come back cropped to 210x160: the round trip without the network is
    the identity, so a text stroke reaches the encoder unblurred (resizing blurs it)."""
    config = TokenizerConfig(image_size=160, image_height=210, pad=True, channels=[8, 8, 8],
                             norm_groups=8, latent_channels=8, codebook_size=16, code_dim=4)
    tok = ImageTokenizer(config)
    assert config.input_shape == (212, 160) and config.grid_shape == (53, 40)
    screens = np.random.default_rng(2).integers(0, 256, (2, 210, 160, 3), dtype=np.uint8)
    x = tok.frames_to_input(screens)
    assert tuple(x.shape) == (2, 3, 212, 160)
    assert torch.equal(x[:, :, 210], x[:, :, 209]) and torch.equal(x[:, :, 211], x[:, :, 209])
    assert np.array_equal(tok.output_to_frames(x).numpy(), screens)
    assert tok.decode(tok.encode(screens)).shape == (2, 210, 160, 3)
    with pytest.raises(ConfigError, match="--pad excludes"):
        TokenizerConfig(image_size=160, image_height=210, pad=True, resize=[208, 160],
                        channels=[8, 8, 8], norm_groups=8).validate()
    with pytest.raises(ConfigError, match="--pad pads the frame"):   # the error names the fix
        TokenizerConfig(image_size=160, image_height=210, channels=[8, 8, 8],
                        norm_groups=8).validate()


def test_resize_is_checked():
    with pytest.raises(ConfigError, match="exclude each other"):
        TokenizerConfig(channels=[32, 32, 32, 32], tile=7, resize=[72, 72]).validate()
    with pytest.raises(ConfigError, match="does not divide the network input 21x16"):
        TokenizerConfig(image_size=160, image_height=210, resize=[21, 16],
                        channels=[32, 32, 32]).validate()
    with pytest.raises(ConfigError, match="two positive sizes"):
        TokenizerConfig(resize=[64]).validate()
