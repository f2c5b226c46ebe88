"""The one vocabulary of the RIG policy: text, actions, image codes and structure, in one id space.

Role in the data flow: the sequence builder (`policy/sequence.py`) turns store windows into ids
with it, the trainer sizes the model's embedding from it, and the acting policy decodes model
output with it. Layout (ids are contiguous per kind, so a slot's legal ids are one range):

    [ structure tokens | action tokens <a:NAME> | image tokens <img:K> | BPE text tokens ]

Text is byte-level BPE trained with `tokenizers` on the stores' reasoning and observation text.
Actions of closed action languages (Crafter) get one token each; open languages (GUI text
actions) are written as text between `<act>` and `</act>`, so the layout serves both.
Saved as one `tokenizer.json` plus `vocab.json` (our layout), loaded with nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from rig.config import RigError

STRUCTURE = ("<pad>", "<bos>", "<eos>", "<task>", "</task>", "<step>", "<obs>", "<text>",
             "</text>", "<hist>", "<think>", "</think>", "<act>", "</act>", "<imagine>",
             "</imagine>", "<review>", "</review>", "<accept>", "<revise>", "<imagined>",
             "<patch>")
VOCAB_FILE, TOKENIZER_FILE = "vocab.json", "tokenizer.json"
FORMAT = 2  # 2: <patch> joined the structure tokens (ids of later tokens moved)


@dataclass(frozen=True)
class IdRange:
    start: int  # first id of the kind
    stop: int   # one past the last id

    def __contains__(self, token_id: int) -> bool:
        return self.start <= token_id < self.stop

    def __len__(self) -> int:
        return self.stop - self.start


def action_token(name: str) -> str:
    return f"<a:{name}>"


def image_token(code: int) -> str:
    return f"<img:{code}>"


def special_tokens(action_names: Sequence[str], codebook_size: int) -> list[str]:
    """Every non-text token, in id order: structure, then actions, then image codes."""
    return (list(STRUCTURE) + [action_token(a) for a in action_names]
            + [image_token(k) for k in range(codebook_size)])


class RigVocabulary:
    """Token ids for structure, actions, image codes and BPE text (see the module docstring)."""

    def __init__(self, tokenizer, action_names: Sequence[str], codebook_size: int):
        self.tokenizer = tokenizer
        self.action_names = tuple(action_names)
        self.codebook_size = int(codebook_size)
        ids = [tokenizer.token_to_id(t) for t in self.special_tokens()]
        if ids != list(range(len(ids))):
            raise RigError("tokenizer.json does not hold RIG's special tokens in RIG's order")
        n_struct, n_act = len(STRUCTURE), len(self.action_names)
        self.structure = IdRange(0, n_struct)
        self.actions = IdRange(n_struct, n_struct + n_act)
        self.images = IdRange(n_struct + n_act, n_struct + n_act + self.codebook_size)
        self.text = IdRange(self.images.stop, tokenizer.get_vocab_size())
        self._action_ids = {name: self.actions.start + i for i, name in enumerate(action_names)}

    def special_tokens(self) -> list[str]:
        return special_tokens(self.action_names, self.codebook_size)

    # -- building and saving ----------------------------------------------------------------
    @classmethod
    def train(cls, texts: Iterable[str], action_names: Sequence[str], codebook_size: int,
              text_vocab_size: int = 2000) -> "RigVocabulary":
        """Train byte-level BPE on `texts`; special tokens get the fixed ids of the layout."""
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        if len(set(action_names)) != len(action_names):
            raise RigError(f"duplicate action names: {list(action_names)}")
        specials = (list(STRUCTURE) + [action_token(a) for a in action_names]
                    + [image_token(k) for k in range(codebook_size)])
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=len(specials) + text_vocab_size, special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tokenizer.train_from_iterator(texts, trainer=trainer)
        return cls(tokenizer, action_names, codebook_size)

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(folder / TOKENIZER_FILE))
        (folder / VOCAB_FILE).write_text(json.dumps({
            "format": FORMAT, "action_names": list(self.action_names),
            "codebook_size": self.codebook_size}, indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> "RigVocabulary":
        from tokenizers import Tokenizer

        folder = Path(folder)
        meta_path, tok_path = folder / VOCAB_FILE, folder / TOKENIZER_FILE
        if not meta_path.is_file() or not tok_path.is_file():
            raise RigError(f"{folder} is not a RIG vocabulary: it needs {VOCAB_FILE} and "
                           f"{TOKENIZER_FILE}")
        try:
            meta = json.loads(meta_path.read_text())
            tokenizer = Tokenizer.from_file(str(tok_path))
        except Exception as error:
            raise RigError(f"{folder}: unreadable vocabulary files ({error})") from error
        if meta.get("format", 0) > FORMAT:
            raise RigError(f"{folder}: vocabulary format {meta.get('format')} is newer than "
                           f"this rig understands ({FORMAT}); upgrade rig")
        if meta.get("format", 0) < FORMAT:
            raise RigError(f"{folder}: vocabulary format {meta.get('format')} was written by an "
                           f"older rig (this one reads format {FORMAT}); retrain the policy")
        return cls(tokenizer, meta["action_names"], meta["codebook_size"])

    # -- ids ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size()

    def id(self, token: str) -> int:
        token_id = self.tokenizer.token_to_id(token)
        if token_id is None:
            raise KeyError(f"no token {token!r} in the vocabulary")
        return token_id

    def action_id(self, name: str) -> int:
        if name not in self._action_ids:
            raise KeyError(f"action {name!r} is not in the vocabulary "
                           f"({', '.join(self.action_names)})")
        return self._action_ids[name]

    def action_name(self, token_id: int) -> str:
        if token_id not in self.actions:
            raise ValueError(f"id {token_id} is not an action token")
        return self.action_names[token_id - self.actions.start]

    def image_ids(self, codes) -> list[int]:
        codes = [int(c) for c in codes]
        bad = [c for c in codes if not 0 <= c < self.codebook_size]
        if bad:
            raise ValueError(f"image codes {bad[:5]} are outside 0..{self.codebook_size - 1}")
        return [self.images.start + c for c in codes]

    def image_codes(self, token_ids) -> list[int]:
        return [int(t) - self.images.start for t in token_ids]

    def encode_text(self, text: str) -> list[int]:
        """BPE ids of plain text; special-token look-alikes in the text stay plain text."""
        return self.tokenizer.encode(text, add_special_tokens=False).ids \
            if not any(s in text for s in ("<", ">")) else self._encode_literal(text)

    def _encode_literal(self, text: str) -> list[int]:
        # Split around angle brackets so "<act>" typed in reasoning never becomes structure.
        ids: list[int] = []
        for piece in text.replace("<", "\0<\0").replace(">", "\0>\0").split("\0"):
            if piece:
                encoded = self.tokenizer.encode(piece, add_special_tokens=False).ids
                ids.extend(i for i in encoded if i in self.text)
        return ids

    def decode_text(self, token_ids) -> str:
        return self.tokenizer.decode([int(t) for t in token_ids if int(t) in self.text],
                                     skip_special_tokens=True)
