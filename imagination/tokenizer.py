"""The VQ image tokenizer: world frames <-> grids of discrete image tokens.

Role in the data flow: `rig train tokenizer` fits an `ImageTokenizer` on a trajectory store's
frames and saves it; `rig data tokenize` writes every frame's token ids into the store, so
policy training never runs the image encoder; the policy imagines the next frame as token ids
and `decode` turns them back into pixels for the viewer and the metrics (`metrics.py`).

The network is diffusers' `VQModel` (encoder, 1x1 quant conv, `VectorQuantizer`, decoder); this
file adds the frame conventions (uint8 (B, H, W, 3) in, int token ids (B, h, w) out), input
checks with clear errors, batching, and a checkpoint folder that loads without unpickling:

    DIR/tokenizer.json                         our config + format marker (`TokenizerConfig`)
    DIR/config.json                            diffusers' VQModel config
    DIR/diffusion_pytorch_model.safetensors    the weights

Heavy imports (torch, diffusers) happen inside functions and methods, so importing this module
for its config (the CLI does) stays fast.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.config import RigError, option, require

FORMAT = "rig-image-tokenizer"
# the shipped, trained Crafter tokenizer (tile-aligned, 9x9 tokens): what the benches time
CRAFTER_TOKENIZER = Path(__file__).resolve().parents[1] / "pretrained" / "crafter-tokenizer"
FORMAT_VERSION = 1
CONFIG_NAME = "tokenizer.json"
WEIGHTS_NAME = "diffusion_pytorch_model.safetensors"


class TokenizerError(RigError):
    """Bad input to the tokenizer (frames, token ids) or a folder that is not a checkpoint."""


@dataclass
class TokenizerConfig:
    """The tokenizer's shape. Defaults: a generic 16x16 grid for 64x64 frames. The shipped
    Crafter checkpoint is tile-aligned (`--channels 64 128 128 128 --tile 7`: 9x9 tokens, one per
    tile), which measured better with 3x fewer tokens (docs/imagination.md)."""

    image_size: int = option(64, "frame width in pixels (and its height, unless --image-height "
                             "is set)")
    image_height: int = option(0, "frame height in pixels when frames are not square "
                               "(MiniWoB screenshots: 210 high, 160 wide); 0: image_size")
    resize: list[int] = option(None, "network input HEIGHT WIDTH: frames are area-resized to it "
                               "and decoded frames resized back (a screenshot's resolution is a "
                               "measurement: `rig eval resolution`); none: frames as they are",
                               factory=list)
    pad: bool = option(False, "pad frames at the bottom and right to a multiple of the "
                       "downsampling factor (edge pixels repeated) instead of resizing; decoded "
                       "frames are cropped back. The input is then pixel-exact, so text keeps "
                       "its strokes (MiniWoB's 210x160 -> 212x160 at /4)")
    channels: list[int] = option(None, "encoder/decoder block widths; each block after the "
                                 "first halves the resolution: 3 blocks -> 64/4 = 16x16 tokens",
                                 factory=lambda: [64, 128, 128])
    layers_per_block: int = option(1, "resnet layers per encoder/decoder block")
    latent_channels: int = option(64, "channels of the encoder output before the 1x1 quant conv")
    codebook_size: int = option(1024, "number of codes (image-token vocabulary)")
    code_dim: int = option(16, "dimension of a codebook vector (small dims keep codes in use)")
    norm_groups: int = option(32, "GroupNorm groups (must divide every block width)")
    mid_attention: bool = option(False, "self-attention in the encoder/decoder middle block")
    tile: int = option(0, "align tokens with the world's tile grid: frames are cut to whole "
                       "tiles of this many pixels and resized so that one token covers one "
                       "tile (Crafter: 7 -> 9x9 tokens with 4 blocks); 0: off")

    def validate(self) -> None:
        require(self.image_size >= 8, f"image_size must be at least 8, got {self.image_size}")
        require(len(self.channels) >= 1, "channels needs at least one block width")
        require(all(c > 0 and c % self.norm_groups == 0 for c in self.channels),
                f"every block width must be a positive multiple of norm_groups="
                f"{self.norm_groups}, got {self.channels}")
        factor = 2 ** (len(self.channels) - 1)
        require(self.image_height >= 0, f"image_height must be 0 or positive, got "
                f"{self.image_height}")
        require(self.tile >= 0 and min(self.frame_shape) // max(self.tile, 1) >= 1,
                f"tile must be 0 or a tile size up to the frame's side, got {self.tile}")
        require(self.tile <= factor, f"a {self.tile}-pixel tile needs at least "
                f"{self.tile.bit_length() + 1} blocks (each token covers {factor} input pixels)")
        require(not (self.tile and self.resize), "--tile and --resize exclude each other "
                "(tile alignment sets the input size itself)")
        require(not (self.pad and (self.tile or self.resize)), "--pad excludes --tile and "
                "--resize (each sets the network input's size its own way)")
        require(not self.resize or (len(self.resize) == 2 and min(self.resize) >= 1),
                f"resize must be two positive sizes, HEIGHT WIDTH, got {self.resize}")
        require(self.tile > 0 or all(side % factor == 0 for side in self.input_shape),
                f"{len(self.channels)} blocks downsample by {factor}, which does not divide the "
                f"network input {self.input_shape[0]}x{self.input_shape[1]} (--pad pads the "
                f"frame to fit; --resize picks another input size)")
        require(self.codebook_size >= 2, f"codebook_size must be >= 2, got {self.codebook_size}")
        require(self.code_dim >= 1 and self.latent_channels >= 1 and self.layers_per_block >= 1,
                "code_dim, latent_channels and layers_per_block must be positive")

    @property
    def factor(self) -> int:
        """Pixels of the network's input per token side: 2**(blocks - 1)."""
        return 2 ** (len(self.channels) - 1)

    @property
    def frame_shape(self) -> tuple[int, int]:
        """(height, width) of the frames this tokenizer takes and gives back."""
        return (self.image_height or self.image_size, self.image_size)

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, columns) of tokens: the input's sides / 2**(blocks - 1), or whole tiles with
        `tile`."""
        if self.tile:
            return tuple(side // self.tile for side in self.frame_shape)
        return tuple(side // self.factor for side in self.input_shape)

    @property
    def grid(self) -> int:
        """Tokens per side of a square grid (see `grid_shape` for any grid)."""
        rows, cols = self.grid_shape
        if rows != cols:
            raise TokenizerError(f"this tokenizer's grid is {rows}x{cols}, not square: use "
                                 "grid_shape")
        return rows

    @property
    def input_shape(self) -> tuple[int, int]:
        """(height, width) of the network's input: the frame itself, `resize`, the frame padded
        up to a multiple of the factor with `pad`, or the grid * factor with `tile`."""
        if self.tile:
            return tuple(side // self.tile * self.factor for side in self.frame_shape)
        if self.pad:
            return tuple(-(-side // self.factor) * self.factor for side in self.frame_shape)
        return tuple(self.resize) if self.resize else self.frame_shape

    @property
    def input_size(self) -> int:
        """The input's longer side (diffusers keeps it as `sample_size`, informational)."""
        return max(self.input_shape)

    @property
    def tokens_per_frame(self) -> int:
        rows, cols = self.grid_shape
        return rows * cols

    def vq_model_kwargs(self) -> dict[str, Any]:
        n = len(self.channels)
        return dict(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * n,
                    up_block_types=("UpDecoderBlock2D",) * n,
                    block_out_channels=tuple(self.channels), layers_per_block=self.layers_per_block,
                    latent_channels=self.latent_channels, sample_size=self.input_size,
                    num_vq_embeddings=self.codebook_size, vq_embed_dim=self.code_dim,
                    norm_num_groups=self.norm_groups, mid_block_add_attention=self.mid_attention)


def _is_tensor(x) -> bool:
    import torch
    return isinstance(x, torch.Tensor)


class ImageTokenizer:
    """Frames (B, H, W, 3) uint8 <-> token ids (B, h, w). numpy in -> numpy out (ids int32);
    a torch tensor in -> a tensor out on the input's device (ids int64)."""

    def __init__(self, config: TokenizerConfig, vq=None, device: str = "cpu"):
        from diffusers import VQModel
        config.validate()
        self.config = config
        self.vq = vq if vq is not None else VQModel(**config.vq_model_kwargs())
        self.vq.quantize.sane_index_shape = True   # indices come back as (B, h, w)
        self.vq.eval()
        self.to(device)

    # -- placement ---------------------------------------------------------------------------
    def to(self, device) -> "ImageTokenizer":
        import torch
        self.device = torch.device(device)
        self.vq.to(self.device)
        return self

    @property
    def grid(self) -> int:
        return self.config.grid

    @property
    def grid_shape(self) -> tuple[int, int]:
        return self.config.grid_shape

    @property
    def codebook_size(self) -> int:
        return self.config.codebook_size

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.vq.parameters())

    # -- frames <-> model tensors -------------------------------------------------------------
    def _check_frames(self, frames) -> None:
        height, width = self.config.frame_shape
        shape, dtype = tuple(frames.shape), str(frames.dtype)
        if len(shape) != 4:
            hint = " (one frame? pass frames[None])" if len(shape) == 3 else ""
            raise TokenizerError(f"frames must be a batch (B, {height}, {width}, 3), got shape "
                                 f"{shape}{hint}")
        if shape[3] != 3:
            raise TokenizerError(f"frames must have 3 channels (RGB, channels last), got shape "
                                 f"{shape}")
        if shape[1:3] != (height, width):
            raise TokenizerError(f"this tokenizer takes {height}x{width} frames, got "
                                 f"{shape[1]}x{shape[2]} (shape {shape})")
        if dtype not in ("uint8", "torch.uint8"):
            raise TokenizerError(f"frames must be uint8 (0-255), got dtype {dtype}")

    def _tile_index(self, side: int, inward: bool):
        """Pixel indices along one side (`side` tiles) that map whole tiles to the network's
        input (inward) and back. Tile j spans pixels [jT, jT+T) of the frame and [jF, jF+F) of
        the input, so nearest-pixel resizing keeps every tile inside its own token."""
        import torch
        c = self.config
        if inward:
            return (torch.arange(side * c.factor) * c.tile) // c.factor
        return (torch.arange(side * c.tile) * c.factor + c.tile - 1) // c.tile  # ceil

    def frames_to_input(self, frames):
        """uint8 (B, H, W, 3) -> float (B, 3, h, w) in [-1, 1] on the tokenizer's device."""
        import torch
        x = frames if _is_tensor(frames) else torch.from_numpy(frames)
        x = x.to(self.device, non_blocking=True)
        if self.config.tile:
            rows, cols = self.config.grid_shape
            x = x[:, self._tile_index(rows, True).to(x.device)]
            x = x[:, :, self._tile_index(cols, True).to(x.device)]
        x = x.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        if self.config.resize and tuple(x.shape[2:]) != self.config.input_shape:
            # area averaging: every frame pixel counts, so thin text strokes fade, not vanish
            x = torch.nn.functional.interpolate(x, size=self.config.input_shape, mode="area")
        if self.config.pad:
            (height, width), (rows, cols) = self.config.frame_shape, self.config.input_shape
            if (rows, cols) != (height, width):
                x = torch.nn.functional.pad(x, (0, cols - width, 0, rows - height),
                                            mode="replicate")
        return x

    def output_to_frames(self, x):
        """float (B, 3, h, w) in [-1, 1] -> uint8 (B, H, W, 3) tensor (pixels outside whole
        tiles, Crafter's 1-pixel border, are black as in the world's own render)."""
        import torch
        height, width = self.config.frame_shape
        if self.config.pad:
            x = x[:, :, :height, :width]
        if self.config.resize and tuple(x.shape[2:]) != (height, width):
            x = torch.nn.functional.interpolate(x.float(), size=(height, width),
                                                mode="bilinear", align_corners=False)
        frames = ((x.clamp(-1, 1) + 1) * 127.5).round().to(dtype=torch.uint8) \
            .permute(0, 2, 3, 1).contiguous()
        if self.config.tile:
            rows, cols = self.config.grid_shape
            down = self._tile_index(rows, False).to(frames.device)
            across = self._tile_index(cols, False).to(frames.device)
            canvas = torch.zeros((frames.shape[0], height, width, 3), dtype=torch.uint8,
                                 device=frames.device)
            canvas[:, :len(down), :len(across)] = frames[:, down][:, :, across]
            frames = canvas
        return frames

    # -- the API -----------------------------------------------------------------------------
    def encode(self, frames, batch_size: int = 256):
        """Token ids (B, h, w) of uint8 frames (B, H, W, 3)."""
        import torch
        self._check_frames(frames)
        out = []
        with torch.inference_mode():
            for i in range(0, frames.shape[0], batch_size):
                h = self.vq.encode(self.frames_to_input(frames[i:i + batch_size])).latents
                out.append(self.vq.quantize(h)[2][2])
        ids = torch.cat(out) if out else torch.zeros((0, *self.grid_shape), dtype=torch.long)
        if _is_tensor(frames):
            return ids.to(frames.device)
        return ids.cpu().numpy().astype("int32")

    def _check_ids(self, ids) -> None:
        shape, dtype = tuple(ids.shape), str(ids.dtype)
        rows, cols = self.grid_shape
        if len(shape) != 3 or shape[1:] != (rows, cols):
            raise TokenizerError(f"token ids must be (B, {rows}, {cols}), got shape {shape}")
        if not any(k in dtype for k in ("int", "uint")):
            raise TokenizerError(f"token ids must be integers, got dtype {dtype}")
        if shape[0] and (int(ids.min()) < 0 or int(ids.max()) >= self.codebook_size):
            raise TokenizerError(f"token ids must lie in [0, {self.codebook_size}), got "
                                 f"min {int(ids.min())}, max {int(ids.max())}")

    def codes_to_output(self, ids):
        """Decoder output (B, 3, H, W) in [-1, 1] for a long tensor of ids on the device."""
        q = self.vq.quantize.get_codebook_entry(ids.reshape(-1), shape=(*ids.shape,
                                                                        self.config.code_dim))
        return self.vq.decode(q, force_not_quantize=True).sample

    def decode(self, ids, batch_size: int = 256):
        """uint8 frames (B, H, W, 3) of token ids (B, h, w)."""
        import torch
        self._check_ids(ids)
        t = ids if _is_tensor(ids) else torch.from_numpy(ids.astype("int64"))
        out = []
        with torch.inference_mode():
            for i in range(0, t.shape[0], batch_size):
                chunk = t[i:i + batch_size].to(self.device, dtype=torch.long)
                out.append(self.output_to_frames(self.codes_to_output(chunk)))
        frames = torch.cat(out) if out else torch.zeros((0, *self.config.frame_shape, 3),
                                                        dtype=torch.uint8)
        return frames.to(ids.device) if _is_tensor(ids) else frames.cpu().numpy()

    def reconstruct(self, frames, batch_size: int = 256):
        """decode(encode(frames))."""
        return self.decode(self.encode(frames, batch_size), batch_size)

    # -- checkpoints ---------------------------------------------------------------------------
    def save_pretrained(self, path, extra: dict | None = None) -> Path:
        """Write the checkpoint folder (safetensors weights + configs); returns its path."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.vq.save_pretrained(path, safe_serialization=True)
        info = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "config": dataclasses.asdict(self.config), **(extra or {})}
        (path / CONFIG_NAME).write_text(json.dumps(info, indent=2) + "\n")
        return path

    @classmethod
    def from_pretrained(cls, path, device: str = "cpu") -> "ImageTokenizer":
        """Load a folder written by `save_pretrained` (local only; never unpickles)."""
        import logging
        from diffusers import VQModel
        path = Path(path)
        config = read_config(path)
        if not (path / WEIGHTS_NAME).is_file() or not (path / "config.json").is_file():
            raise TokenizerError(f"{path} lacks {WEIGHTS_NAME} or config.json: not a complete "
                                 f"tokenizer checkpoint")
        logging.getLogger("diffusers").setLevel(logging.ERROR)
        try:
            vq = VQModel.from_pretrained(path, use_safetensors=True, local_files_only=True)
        except Exception as error:
            raise TokenizerError(f"{path}: cannot load the VQModel weights ({error})") from None
        return cls(config, vq=vq, device=device)


def read_config(path) -> TokenizerConfig:
    """The `TokenizerConfig` of a checkpoint folder; TokenizerError when it is not one."""
    path = Path(path)
    if not path.is_dir():
        from rig.config import shipped_names

        raise TokenizerError(f"{path} is not a directory (a tokenizer checkpoint is a folder "
                             f"written by `rig train tokenizer`, or a shipped one by name: "
                             f"{shipped_names('tokenizer')})")
    file = path / CONFIG_NAME
    if not file.is_file():
        raise TokenizerError(f"{path} has no {CONFIG_NAME}: not a tokenizer checkpoint "
                             f"(train one with `rig train tokenizer`)")
    try:
        info = json.loads(file.read_text())
        assert info.get("format") == FORMAT, f"format is {info.get('format')!r}"
    except Exception as error:
        raise TokenizerError(f"{file} is not a RIG tokenizer config ({error})") from None
    if not isinstance(info.get("format_version"), int) or info["format_version"] > FORMAT_VERSION:
        raise TokenizerError(f"{file} has format version {info.get('format_version')}; this rig "
                             f"reads up to {FORMAT_VERSION}: upgrade rig")
    fields = {f.name for f in dataclasses.fields(TokenizerConfig)}
    config = TokenizerConfig(**{k: v for k, v in info["config"].items() if k in fields})
    try:
        config.validate()
    except RigError as error:
        raise TokenizerError(f"{file}: invalid config ({error})") from None
    return config
