"""The RIG policy's transformer: a causal LM from `transformers`, built from our own config.

Role in the data flow: `rig train policy` builds it from a preset (or extends a local Hugging
Face causal-LM folder with `--init-from`), trains it on token streams from `train/sequence.py`
and saves it with `save_pretrained` (safetensors); the acting policy loads the folder back.
Nothing comes from a hub and no remote code runs: the architecture is Qwen2's, as shipped in
`transformers`, and loading reads safetensors only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rig.config import ConfigError

# name -> (hidden size, layers, attention heads, key/value heads, MLP size)
PRESETS = {
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

    def validate(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError(f"unknown preset {self.preset!r}; presets: {', '.join(PRESETS)}")
        if self.vocab_size < 1:
            raise ConfigError("vocab_size must be set from the vocabulary")

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


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())
