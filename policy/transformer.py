"""The RIG transformer as one module: the causal LM and, for patch or cnn input, its frame encoder.

Role in the data flow: training (`train/policy_run.py`) and acting (`policy/decoder.py`)
call this module with token ids and, where the ids hold `<patch>` placeholders, the frames those
placeholders stand for; it embeds the patches and runs the LM on the mixed embeddings. Saved as
the LM's own `save_pretrained` folder plus `patch_encoder.safetensors`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from rig.config import RigError

from .model import ModelConfig

PATCH_ENCODER_FILE = "patch_encoder.safetensors"
GRID_EMBEDDING_FILE = "image_grid.safetensors"


class PatchEncoder(nn.Module):
    """Frames (uint8, N x H x W x 3) -> one embedding per patch (N x rows*cols x hidden)."""

    def __init__(self, config: ModelConfig, hidden: int):
        super().__init__()
        self.size, self.rows, self.cols = config.patch_size, config.patch_rows, config.patch_cols
        pixels = 3 * self.size * self.size
        self.mlp = nn.Sequential(nn.Linear(pixels, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.position = nn.Parameter(torch.randn(self.rows * self.cols, hidden) * 0.02)

    def forward(self, frames):
        p, r, c = self.size, self.rows, self.cols
        if frames.shape[1] < r * p or frames.shape[2] < c * p:
            raise ValueError(f"frames of {tuple(frames.shape[1:3])} pixels are smaller than "
                             f"the encoder's {r}x{c} grid of {p}-pixel patches")
        x = frames[:, :r * p, :c * p].to(self.position.dtype) / 127.5 - 1.0
        x = x.reshape(-1, r, p, c, p, 3).permute(0, 1, 3, 2, 4, 5).reshape(-1, r * c, p * p * 3)
        return self.mlp(x) + self.position


class ConvEncoder(nn.Module):
    """Frames (uint8, N x H x W x 3) -> a grid of conv features (N x grid*grid x hidden).

    The `cnn` eye: the plain baseline's strided convolutions (policy/bc.py), pooled to a
    `grid` x `grid` map whose cells become the frame's inputs. 16 inputs a frame instead of 81
    makes each training sample about 2.5x cheaper, the cost the measurements put first. With
    `cnn_tokens` K, the whole map is flattened and projected to K inputs instead, as the bc
    baseline's first dense layer reads it: every input sees every cell, and a step is shorter."""

    def __init__(self, config: ModelConfig, hidden: int):
        super().__init__()
        layers, before = [], 3
        for i, width in enumerate(config.cnn_channels):
            kernel = 5 if i == 0 else 3
            layers += [nn.Conv2d(before, width, kernel, stride=2, padding=kernel // 2), nn.ReLU()]
            before = width
        self.conv = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(config.cnn_grid))
        self.tokens, self.hidden = config.cnn_tokens, hidden
        if self.tokens:  # the flattened map -> K inputs
            self.project = nn.Linear(before * config.cnn_grid ** 2, self.tokens * hidden)
        else:  # each cell -> one input
            self.project = nn.Linear(before, hidden)
        self.position = nn.Parameter(torch.randn(config.patches, hidden) * 0.02)

    def forward(self, frames):
        x = frames.permute(0, 3, 1, 2).to(self.position.dtype) / 255.0
        cells = self.conv(x).flatten(2).transpose(1, 2)  # N x grid*grid x channels, row by row
        if self.tokens:
            flat = self.project(cells.flatten(1))
            return flat.view(len(frames), self.tokens, self.hidden) + self.position
        return self.project(cells) + self.position


def join_frames(frames, to_tensor=None):
    """The frames of a batch's `<patch>` placeholders, in order, as the encoder takes them: one
    array (N x H x W x 3) when they share a shape, else a list of arrays, one per run of equal
    shape (a generalist sees Crafter's 64x64 frames beside MiniWoB's 210x160 screenshots; the
    `cnn` eye pools any size to its grid, so each run is encoded at its own resolution).
    `to_tensor` (optional) maps each array to a tensor. None when there are no frames."""
    frames = [np.asarray(f) for f in frames if f is not None and len(f)]
    if not frames:
        return None
    runs = [[frames[0]]]
    for f in frames[1:]:
        if f.shape[1:] == runs[-1][-1].shape[1:]:
            runs[-1].append(f)
        else:
            runs.append([f])
    joined = [np.concatenate(run) if len(run) > 1 else run[0] for run in runs]
    if to_tensor is not None:
        joined = [to_tensor(f) for f in joined]
    return joined[0] if len(joined) == 1 else joined


def frame_encoder(config: ModelConfig, hidden: int):
    """The understanding encoder `config.image_input` asks for (None for VQ-token input)."""
    if config.image_input == "patches":
        return PatchEncoder(config, hidden)
    if config.image_input == "cnn":
        return ConvEncoder(config, hidden)
    return None


class RigTransformer(nn.Module):
    """The causal LM plus, for `patches` or `cnn` input, the frame encoder, and the learned embedding of
    an image token's place in its frame. `frames` lists the frames of the `<patch>`
    placeholders in `input_ids`, in reading order (row by row); `image_slots` gives every image
    token's index in its frame (-1 for other tokens; `policy/sequence.py`'s StepPositions)."""

    def __init__(self, lm, config: ModelConfig, patch_id: int):
        super().__init__()
        self.lm, self.rig_config, self.patch_id = lm, config, patch_id
        hidden = lm.get_input_embeddings().embedding_dim
        self.patch_encoder = frame_encoder(config, hidden)
        self.grid_embedding = None
        if config.image_grid:
            self.grid_embedding = nn.Embedding(config.image_grid, hidden)
            nn.init.normal_(self.grid_embedding.weight, std=0.02)

    @property
    def config(self):  # the LM's Hugging Face config (max_position_embeddings, ...)
        return self.lm.config

    def embed(self, input_ids, frames=None, image_slots=None):
        """The LM's input embeddings of `input_ids`: token embeddings, plus each image token's
        place in its frame, with the `<patch>` placeholders replaced by the encoded frames.
        (The decoder's lean forward starts from these; `forward` runs the LM on them.)"""
        embeds = self.lm.get_input_embeddings()(input_ids)
        if self.grid_embedding is not None and image_slots is not None:
            if image_slots.shape != input_ids.shape:
                raise ValueError(f"image_slots {tuple(image_slots.shape)} must match input_ids "
                                 f"{tuple(input_ids.shape)}")
            grid = self.grid_embedding.num_embeddings
            placed = (image_slots >= 0) & (image_slots < grid)
            where = self.grid_embedding(image_slots.clamp(0, grid - 1))
            embeds = embeds + where.to(embeds.dtype) * placed.unsqueeze(-1).to(embeds.dtype)
        if self.patch_encoder is None:
            return embeds
        slots = input_ids == self.patch_id
        count = int(slots.sum())
        if count:
            # one array, or a list of arrays of different shapes (`join_frames`)
            runs = [] if frames is None else \
                list(frames) if isinstance(frames, (list, tuple)) else [frames]
            given = sum(len(f) for f in runs)
            if given * self.rig_config.patches != count:
                raise ValueError(f"{count} <patch> slots need {count // self.rig_config.patches}"
                                 f" frames, {given} given")
            vectors = torch.cat([self.patch_encoder(torch.as_tensor(f, device=embeds.device))
                                 for f in runs]).to(embeds.dtype)
            embeds = embeds.masked_scatter(slots.unsqueeze(-1), vectors.reshape(-1))
        return embeds

    def forward(self, input_ids, attention_mask=None, frames=None, image_slots=None,
                logits_at=None, **kwargs):
        """The LM's output; with `logits_at` (B x T bool), only the logits at those positions
        (N x vocabulary, in reading order): training needs them where a target has weight."""
        if logits_at is not None:
            embeds = self.embed(input_ids, frames, image_slots)
            hidden = self.lm.model(inputs_embeds=embeds, attention_mask=attention_mask,
                                   **kwargs).last_hidden_state
            return self.lm.get_output_embeddings()(hidden[logits_at])
        grid = self.grid_embedding is not None and image_slots is not None
        if self.patch_encoder is None and not grid:
            return self.lm(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        embeds = self.embed(input_ids, frames, image_slots)
        return self.lm(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)

    def save_pretrained(self, folder, **kwargs) -> None:
        from safetensors.torch import save_file

        self.lm.save_pretrained(folder, **kwargs)
        for module, name in self._extras():
            state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
            save_file(state, str(Path(folder) / name))

    def _extras(self):
        """(module, file) of the parts beside the LM that this model has."""
        return [(m, name) for m, name in ((self.patch_encoder, PATCH_ENCODER_FILE),
                                          (self.grid_embedding, GRID_EMBEDDING_FILE))
                if m is not None]

    def load_encoder(self, folder) -> None:
        """Load the weights saved beside the LM: the patch encoder, the grid embedding."""
        from safetensors.torch import load_file

        for module, name in self._extras():
            path = Path(folder) / name
            if not path.is_file():
                raise RigError(f"{folder} has no {name} (its model config asks for it)")
            try:
                module.load_state_dict(load_file(str(path)))
            except Exception as error:
                raise RigError(f"{path}: unreadable weights ({error})") from error
