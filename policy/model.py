"""The RIG policy's transformer: a causal LM from `transformers`, built from our own config.

Role in the data flow: `rig train policy` builds it from a preset (or extends a local Hugging
Face causal-LM folder with `--init-from`), trains it on token streams from `policy/sequence.py`
and saves it with `save_pretrained` (safetensors); the acting policy loads the folder back.
Nothing comes from a hub and no remote code runs: the architecture is Qwen2's, as shipped in
`transformers`, and loading reads safetensors only.

Image input comes one of two ways (`ModelConfig.image_input`):
- `tokens`: the frame as the VQ image tokens the policy also imagines in (one space for both);
- `patches`: a separate understanding encoder, as Janus (RIG's base model) decouples seeing from
  drawing: each frame is cut into a grid of square patches, each patch is embedded by a small MLP
  (plus a learned 2-D position) and written into the sequence at `<patch>` placeholder tokens.
  With Crafter's 7-pixel tiles a 7x7 patch is exactly one tile (81 inputs a frame, as many as
  the tile-aligned VQ tokens); docs/policy.md has the measurement that kept VQ tokens the default;
- `cnn`: the plain baseline's strided convolutions pooled to a 4x4 map: 16 inputs a frame, so a
  training sample costs far less (the bound on a CPU; docs/policy.md, issue 21's log); with
  `cnn_tokens` K the whole map is flattened and projected to K inputs (the bc head's view of it).
The imagined frame is always VQ tokens: generation needs a discrete space, seeing does not.
Image tokens (seen or imagined) also get a learned embedding of their tile's place in the frame
(`image_grid`), as the patch encoder's inputs do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rig.config import ConfigError

IMAGE_INPUTS = ("tokens", "patches", "cnn")

# name -> (hidden size, layers, attention heads, key/value heads, MLP size)
PRESETS = {
    "micro": (128, 2, 4, 2, 352),       # ~0.5M + embeddings: many more samples per CPU minute
    "tiny": (256, 4, 4, 2, 704),        # ~4M parameters + embeddings: trains on a 2-core CPU
    "small": (512, 8, 8, 4, 1408),      # ~25M: a few CPU hours, minutes on a GPU
    "base": (1024, 16, 16, 4, 2816),    # ~200M: GPU
    "large": (1536, 24, 12, 4, 4096),   # ~600M: GPU, bf16
}


@dataclass
class ModelConfig:
    preset: str = "tiny"            # size preset (see PRESETS)
    vocab_size: int = 0             # set from the vocabulary
    max_positions: int = 2048       # longest sequence the rotary embedding is set up for
    dropout: float = 0.0            # attention dropout
    rope_theta: float = 10000.0     # rotary base
    image_input: str = "tokens"     # tokens (VQ codes) | patches (separate understanding encoder)
    patch_size: int = 7             # pixels per square patch (Crafter's tiles are 7 pixels)
    patch_rows: int = 9             # patches per frame column (frames are cropped to the grid)
    patch_cols: int = 9             # patches per frame row
    cnn_grid: int = 4               # `cnn` input: the conv feature map is pooled to grid x grid
    cnn_channels: list = field(default_factory=lambda: [32, 64, 128, 128])  # its conv widths
    cnn_tokens: int = 0             # `cnn` input: 0 = one input per cell of the pooled map; K =
                                    # the whole map flattened and projected to K inputs (as the
                                    # bc baseline's head reads it; fewer tokens a step)
    image_grid: int = 0             # tiles per image-token frame with a learned (row, column)
                                    # embedding (0: none; positions alone place the tiles)

    def validate(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError(f"unknown preset {self.preset!r}; presets: {', '.join(PRESETS)}")
        if self.vocab_size < 1:
            raise ConfigError("vocab_size must be set from the vocabulary")
        if self.image_input not in IMAGE_INPUTS:
            raise ConfigError(f"image_input must be one of {', '.join(IMAGE_INPUTS)}, not "
                              f"{self.image_input!r}")
        if self.cnn_grid < 1 or not self.cnn_channels or min(self.cnn_channels) < 1:
            raise ConfigError("cnn_grid and cnn_channels must be positive")
        if self.cnn_tokens < 0:
            raise ConfigError("cnn_tokens must be >= 0 (0: one input per cell of the map)")

    def fit_positions(self, positions: int) -> None:
        """Raise `max_positions` to hold `positions` (rounded up to a multiple of 1,024); never
        lowers it. Big frames (a 53x40 screen tokenizer) need more than the default 2,048."""
        self.max_positions = max(self.max_positions, -(-positions // 1024) * 1024)

    @property
    def patches(self) -> int:
        """Placeholder tokens a frame takes in the sequence (0 when frames are VQ tokens)."""
        if self.image_input == "patches":
            return self.patch_rows * self.patch_cols
        if self.image_input == "cnn":
            return self.cnn_tokens or self.cnn_grid ** 2
        return 0

    def to_dict(self) -> dict:
        return asdict(self)


def build_model(config: ModelConfig, pad_id: int = 0, bos_id: int = 1, eos_id: int = 2):
    """A freshly initialised Qwen2 causal LM of the preset's size."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config.validate()
    hidden, layers, heads, kv_heads, mlp = PRESETS[config.preset]
    hf_config = Qwen2Config(
        vocab_size=config.vocab_size, hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=kv_heads, intermediate_size=mlp,
        max_position_embeddings=config.max_positions, rope_theta=config.rope_theta,
        attention_dropout=config.dropout, tie_word_embeddings=True, pad_token_id=pad_id,
        bos_token_id=bos_id, eos_token_id=eos_id, use_cache=True)
    return Qwen2ForCausalLM(hf_config)


def load_causal_lm(path: str, vocab_size: int | None = None):
    """Load a local Hugging Face causal-LM folder (safetensors only, no remote code) and, when
    `vocab_size` is given, grow its embeddings to hold RIG's action, image and structure tokens."""
    from pathlib import Path

    from transformers import AutoModelForCausalLM

    from rig.config import RigError

    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise RigError(f"{path!r} is not a Hugging Face model folder (no config.json)")
    if not any(folder.glob("*.safetensors")):
        raise RigError(f"{path!r} has no .safetensors weights; RIG loads safetensors only "
                       "(convert .bin checkpoints with `save_pretrained(safe_serialization=True)`)")
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=False,
                                                     use_safetensors=True, local_files_only=True)
    except Exception as error:
        raise RigError(f"could not load the model in {path!r}: {error}") from error
    if vocab_size is not None and vocab_size > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(vocab_size, mean_resizing=True)
    return model


def wrap_model(lm, config: ModelConfig, patch_id: int):
    """The LM with the image input `config` asks for: what training and acting call."""
    from .transformer import RigTransformer

    return RigTransformer(lm, config, patch_id)


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
