"""The policy's checkpoint folder: the one module that writes it and reads it.

Role in the data flow: `rig train policy` saves through `save` (checkpoints while it trains,
`final/` at the end); everything that reads a folder goes through `load`: acting
(`--agent rig:`), resuming a killed run, fine-tuning (`--init-from`), the ablation and
`rig eval imagination`. A folder holds

    model.safetensors, config.json   the transformer (`save_pretrained`; safetensors only)
    patch_encoder.safetensors, ...   the parts beside the LM (`RigTransformer`), when it has them
    tokenizer.json, vocab.json       the vocabulary (`RigVocabulary`)
    rig_policy.json                  every config: sequence, model, training, image codecs
    image_tokenizer/, -1/, ...       final folders: the image tokenizers, one per codec
    trainer_state.pt                 checkpoints: optimizer, step, minutes (loaded weights-only)
    complete                         written last: the folder is whole

Folders are written under `NAME.tmp`, flushed to disk and renamed, so a reader never sees a
half-written one; `load(..., whole=True)` reads every file before anything uses them, so a
damaged file is named instead of failing halfway through a resume.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.config import RigError, resolve_model

POLICY_FILE, STATE_FILE, DONE_FILE = "rig_policy.json", "trainer_state.pt", "complete"
FORMAT = 1  # rig_policy.json's format; a newer one is refused


def tokenizer_folder(index: int) -> str:
    """Where a policy folder keeps its image tokenizers: the first (a one-world policy's only
    one) in image_tokenizer/, others in image_tokenizer-1/, ..."""
    return "image_tokenizer" if index == 0 else f"image_tokenizer-{index}"


def checkpoint_folders(out: Path) -> list[Path]:
    """The finished checkpoints of a run, oldest first: folders named exactly `step-N` with the
    `complete` marker (not a `.tmp` folder being written, nor one moved aside as `.damaged`)."""
    found = [p for p in (Path(out) / "checkpoints").glob("step-*")
             if re.fullmatch(r"step-\d+", p.name) and (p / DONE_FILE).is_file()]
    return sorted(found, key=lambda p: int(p.name.removeprefix("step-")))


def latest_checkpoint(out: Path) -> Path | None:
    done = checkpoint_folders(out)
    return done[-1] if done else None


def is_policy_folder(path: str | Path) -> bool:
    """Whether `path` holds a RIG policy (not merely a Hugging Face model folder)."""
    return (Path(path) / POLICY_FILE).is_file() and (Path(path) / "vocab.json").is_file()


# -- the image codecs a policy was trained with ---------------------------------------------------
def image_codecs(meta: dict) -> list[dict]:
    """The policy's image codecs (tokenizer, block of codes, worlds), in vocabulary order; a
    folder from before generalists holds one, described by its `image_tokens`."""
    if meta.get("image_codecs"):
        return list(meta["image_codecs"])
    return [{**dict(meta.get("image_tokens") or {}), "offset": 0,
             "worlds": list(meta.get("worlds") or [])}]


def codec_index(meta: dict, world_id: str | None) -> int:
    """Which image codec sees `world_id`: the one trained on it; a one-codec policy's only one."""
    codecs = image_codecs(meta)
    for index, codec in enumerate(codecs):
        if world_id in codec.get("worlds", []):
            return index
    if len(codecs) == 1:
        return 0
    known = ", ".join(w for c in codecs for w in c.get("worlds", []))
    raise RigError(f"this policy sees its worlds through {len(codecs)} image tokenizers and "
                   f"was not trained on {world_id}; its worlds: {known}")


def codec_image_ids(vocab, codec: dict) -> range:
    """The vocabulary's image-token ids of one codec: its block of the image range."""
    start = vocab.images.start + int(codec.get("offset", 0))
    return range(start, start + int(codec["codebook_size"]))


# -- reading ------------------------------------------------------------------------------------
def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:300]


def _damaged(path: Path, error: Exception) -> RigError:
    return RigError(f"{path} is damaged ({type(error).__name__}: {_first_line(error)})")


def read_meta(folder: str | Path) -> dict:
    """`rig_policy.json` of a policy folder, with a clear error for a folder that is not one."""
    path = Path(folder) / POLICY_FILE
    if not path.is_file():
        raise RigError(f"{str(folder)!r} is not a RIG policy checkpoint (no {POLICY_FILE}); "
                       "train one with `rig train policy STORE --out DIR` and use "
                       "--agent rig:DIR/final")
    try:
        meta = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise RigError(f"{path} is damaged: not valid JSON ({_first_line(error)})") from None
    if not isinstance(meta, dict):
        raise RigError(f"{path} is not a RIG policy description (not a JSON object)")
    if int(meta.get("format", 0)) > FORMAT:
        raise RigError(f"{str(folder)!r} was written by a newer rig (format {meta['format']})")
    return meta


@dataclass
class PolicyCheckpoint:
    """A policy folder as read by `load`: what it says, its vocabulary and, read whole, its
    weights and trainer state. `model()` and `image_tokenizer()` build the parts acting needs;
    `load_into()` puts the weights into a model training built (resume)."""

    folder: Path
    meta: dict
    vocab: Any
    weights: dict | None = None   # the LM's tensors (model.safetensors), when read whole
    trainer: dict | None = None   # optimizer state, step, minutes, when read whole

    @property
    def step(self) -> int:
        return int((self.trainer or {}).get("step", self.meta.get("step", 0)))

    def model_config(self):
        from .model import ModelConfig

        try:
            config = ModelConfig(**self.meta.get("model", {}))
            config.validate()
        except (TypeError, ValueError) as error:
            raise RigError(f"{self.folder / POLICY_FILE}: bad model config ({error})") from error
        return config

    def model(self, device: str = "cpu"):
        """The policy's transformer (with its patch encoder and tile embedding), in eval mode."""
        from transformers import AutoModelForCausalLM
        from transformers.utils import logging as hf_logging

        from .model import wrap_model

        config = self.model_config()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar per worker and per episode
        try:
            lm = AutoModelForCausalLM.from_pretrained(self.folder, use_safetensors=True,
                                                      local_files_only=True,
                                                      trust_remote_code=False)
        except Exception as error:
            raise RigError(f"{str(self.folder)!r}: cannot load the transformer ({error})") \
                from error
        model = wrap_model(lm, config, self.vocab.id("<patch>"))
        model.load_encoder(self.folder)
        return model.to(device).eval()

    def load_into(self, model, optimizer=None) -> None:
        """Put this checkpoint's weights (and optimizer state) into a model built by training;
        a RigError when they do not fit it (the run was started with other options)."""
        try:
            if self.weights is not None:
                model.lm.load_state_dict(self.weights, strict=False)
                model.lm.tie_weights()
            model.load_encoder(self.folder)
            if optimizer is not None and self.trainer is not None:
                optimizer.load_state_dict(self.trainer["optimizer"])
        except (RuntimeError, ValueError, KeyError) as error:
            raise RigError(f"{self.folder} does not fit the model this command builds "
                           f"({_first_line(error)})") from None

    def image_tokenizer(self, world_id: str | None, device: str = "cpu"):
        """(image tokenizer, codec) through which this policy sees `world_id`."""
        from rig.imagination.tokenizer import ImageTokenizer

        index = codec_index(self.meta, world_id)
        codec = image_codecs(self.meta)[index]
        folder = self.folder / tokenizer_folder(index)
        if not folder.is_dir():  # a checkpoint (not final/) names where its tokenizer was;
            # a shipped policy names a shipped tokenizer, found in this installation
            folder = Path(resolve_model(str(codec.get("tokenizer", "")), "tokenizer"))
        if not folder.is_dir():
            raise RigError(f"{str(self.folder)!r}: its image tokenizer is missing (looked in "
                           f"{self.folder / tokenizer_folder(index)} and {folder})")
        tokenizer = ImageTokenizer.from_pretrained(folder, device=device)
        if tokenizer.codebook_size != int(codec.get("codebook_size", tokenizer.codebook_size)):
            raise RigError(f"{folder}: a tokenizer of {tokenizer.codebook_size} codes, where "
                           f"the policy was trained on {codec['codebook_size']}")
        return tokenizer, codec


def load(folder: str | Path, whole: bool = False) -> PolicyCheckpoint:
    """Read a policy folder: its description and vocabulary, and with `whole=True` every
    weight file and the trainer state too (resuming reads all before it uses any: a RigError
    names the file that is missing or damaged)."""
    from .vocab import RigVocabulary

    folder = Path(folder)
    if whole:
        for name in (POLICY_FILE, "config.json", "model.safetensors", STATE_FILE):
            if not (folder / name).is_file():
                raise RigError(f"{folder / name} is missing")
    meta = read_meta(folder)
    vocab = RigVocabulary.load(folder)
    checkpoint = PolicyCheckpoint(folder, meta, vocab)
    if whole:
        import torch
        from safetensors.torch import load_file

        # the LM, and the parts beside it (read to find damage; `load_into` loads those again)
        for path in sorted(folder.glob("*.safetensors")):
            try:
                tensors = load_file(str(path))
            except Exception as error:
                raise _damaged(path, error) from None
            if path.name == "model.safetensors":
                checkpoint.weights = tensors
        try:
            trainer = torch.load(folder / STATE_FILE, weights_only=True)
            if not isinstance(trainer, dict) or not {"optimizer", "step"} <= set(trainer):
                raise ValueError("not a trainer state (no optimizer and step)")
        except Exception as error:
            raise _damaged(folder / STATE_FILE, error) from None
        checkpoint.trainer = trainer
    return checkpoint


# -- writing ------------------------------------------------------------------------------------
def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush a folder's files and folders to disk, so that renaming it publishes whole files
    even after a power cut (a killed process loses nothing the kernel already holds)."""
    for path in [*folder.rglob("*"), folder]:
        _fsync(path)


def save(folder: Path, model, vocab, meta: dict, tokenizers: list[Path] | None = None,
         trainer_state: dict | None = None) -> None:
    """Write a policy folder atomically: `model` (a `RigTransformer`), `vocab`, `meta` (the
    contents of rig_policy.json; its format is set here), the image tokenizer folders to copy
    in (final folders: loading then needs nothing else) and, for checkpoints, the trainer state.
    A reader never sees a half-written folder."""
    import torch
    from transformers.utils import logging as hf_logging

    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    hf_logging.disable_progress_bar()  # one bar per run is enough
    model.save_pretrained(tmp, safe_serialization=True)
    vocab.save(tmp)
    (tmp / POLICY_FILE).write_text(json.dumps({"format": FORMAT, **meta}, indent=2, default=str))
    for index, source in enumerate(tokenizers or []):
        if source is not None and Path(source).is_dir():
            shutil.copytree(source, tmp / tokenizer_folder(index))
    if trainer_state is not None:
        torch.save(trainer_state, tmp / STATE_FILE)
    (tmp / DONE_FILE).write_text("ok\n")
    _fsync_tree(tmp)  # on disk before the rename makes it the newest checkpoint
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    _fsync(folder.parent)
