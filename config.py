"""Dataclass configs for every `rig` command, and their translation to and from argparse.

A config is a plain dataclass: one field per option, declared with `option(default, help)`;
`validate()` raises `ConfigError` with a message that says what to do. The CLI turns each field
into `--field-name` (help text and default shown in `--help`); code builds configs directly.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any


class RigError(Exception):
    """An error the user can fix (bad file, bad checkpoint...): the CLI prints it, exit code 1."""

    exit_code = 1


class ConfigError(RigError, ValueError):
    """An invalid option value (unknown name, bad number): the CLI prints it, exit code 2."""

    exit_code = 2


def option(default: Any = dataclasses.MISSING, help: str = "", *, choices=None,
           positional: bool = False, factory=None, metavar: str | None = None) -> Any:
    """A config field with its help text (shown by `--help`; `metavar`: the value's name
    there, the field's name in capitals by default)."""
    meta = {"help": help, "choices": choices, "positional": positional, "metavar": metavar}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _base_type(annotation: Any) -> tuple[type, bool, bool]:
    """(element type, optional?, list?) of a field annotation such as `int | None`."""
    origin = typing.get_origin(annotation)
    optional = False
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin is list:
        return typing.get_args(annotation)[0], optional, True
    return annotation, optional, False


def add_config_arguments(parser: argparse.ArgumentParser, config_cls: type) -> None:
    hints = typing.get_type_hints(config_cls)
    # A config's own options first, then those it inherits (shared option groups, e.g. the
    # policy's), so `--help` starts with what the command is about.
    inherited = {f.name for base in config_cls.__mro__[1:] if dataclasses.is_dataclass(base)
                 for f in dataclasses.fields(base)}
    for f in sorted(dataclasses.fields(config_cls), key=lambda f: f.name in inherited):
        kind, optional, is_list = _base_type(hints[f.name])
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        help_text = f.metadata.get("help", "")
        if f.metadata.get("positional"):
            parser.add_argument(f.name, type=kind, nargs="+" if is_list else None,
                                help=help_text)
            continue
        flag = "--" + f.name.replace("_", "-")
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default,
                                help=f"{help_text} (default: {default})")
            continue
        shown = "none" if default is None else default
        parser.add_argument(flag, dest=f.name, type=kind, default=default,
                            nargs="+" if is_list else None, choices=f.metadata.get("choices"),
                            metavar=None if f.metadata.get("choices") else
                            f.metadata.get("metavar") or f.name.upper(),
                            help=f"{help_text} (default: {shown})")


def config_from_args(config_cls: type, args: argparse.Namespace):
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)}
    config = config_cls(**values)
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()
    return config


def require(condition: bool, message: str) -> None:
    """Raise `ConfigError(message)` unless `condition` holds."""
    if not condition:
        raise ConfigError(message)


def missing_parent(path: str) -> str | None:
    """The folder that would hold the file or folder `path`, if it does not exist; else None."""
    from pathlib import Path

    parent = Path(path).expanduser().resolve().parent
    return None if parent.is_dir() else str(parent)


def require_parent(path: str, flag: str) -> None:
    """A ConfigError unless the folder that will hold `path` exists (what every --out, --json,
    --record, ... checks before any work starts)."""
    parent = missing_parent(path)
    require(parent is None, f"{flag}: folder {parent} does not exist")


def pick_device(name: str) -> str:
    """The torch device a `--device` option names: "auto" is CUDA where torch sees a device,
    else the CPU; asking for CUDA where there is none is a ConfigError, not a torch error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here; use --device cpu")
    return name


# -- shipped models, by short name ----------------------------------------------------------------
# The models the repository ships in pretrained/ (inside the package, so an installed rig has
# them too), by kind and short name: `--tokenizer crafter`, `--agent rig:crafter`.
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
SHIPPED = {
    "tokenizer": {"crafter": "crafter-tokenizer", "miniwob-screen": "miniwob-screen-tokenizer",
                  "miniwob-text": "miniwob-text-tokenizer", "minetest": "minetest-tokenizer"},
    # the best-playing policy (reasons move first, acts, imagines), and an earlier one that
    # sees two steps at once (weaker; the lookahead test uses it as a context-2 policy)
    "policy": {"crafter": "crafter-policy", "crafter-reasoning": "crafter-policy-reasoning"},
}


def shipped_names(kind: str) -> str:
    """The short names of the shipped models of a kind, for help texts and errors."""
    return ", ".join(name for name, folder in SHIPPED[kind].items()
                     if (PRETRAINED_DIR / folder).is_dir())


def resolve_model(value: str, kind: str) -> str:
    """A model folder given by path or by a shipped model's short name. A path that exists is
    kept; a short name (`crafter`) and a `pretrained/...` path from the repository's examples
    resolve to the package's own pretrained/ folder, from any working directory. Anything else
    comes back unchanged, for the loader to refuse with its own error (which can list
    `shipped_names`)."""
    if Path(value).exists():
        return value
    folder = SHIPPED.get(kind, {}).get(value)
    if folder is not None:
        return str(PRETRAINED_DIR / folder)
    parts = Path(value).parts
    if parts and parts[0] == "pretrained" and (PRETRAINED_DIR.joinpath(*parts[1:])).exists():
        return str(PRETRAINED_DIR.joinpath(*parts[1:]))
    # a shipped folder recorded by its absolute path on another machine (a policy names the
    # tokenizer it was trained with): the same folder of this installation
    if parts and parts[-1] in SHIPPED.get(kind, {}).values() and (PRETRAINED_DIR / parts[-1]).exists():
        return str(PRETRAINED_DIR / parts[-1])
    return value
