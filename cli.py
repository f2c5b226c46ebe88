"""The `rig` command: a thin layer that parses a dataclass config and calls one function of a room.

Every subcommand is a (config class, function) pair named by import path, so `rig --help` imports
nothing heavy: config modules hold dataclasses only, and the work imports torch, pygame or zarr
when it runs. Errors the user can fix print one clear line (exit 2 for bad options, 1 for bad
files); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

from rig import __version__
from rig.config import RigError, add_config_arguments, config_from_args


@dataclass(frozen=True)
class Command:
    config: str   # "module:ConfigClass" (fields become the options)
    run: str      # "module:function" taking the config, returning an exit code or None
    help: str     # one line for `rig --help`
    description: str = ""  # the paragraph at the top of the command's own --help


# The command tree: a dict is a group (`rig data ...`), a Command is a leaf.
COMMANDS: dict = {
    "play": Command(
        "rig.eval.play:PlayConfig", "rig.eval.play:play",
        "watch an agent play a world, live or headless; record video and screenshots",
        "Plays episodes with an agent. The viewer shows the frame, the agent's reasoning and "
        "action, and a slot for the imagined next frame. Ends with a summary (returns, "
        "per-achievement success rates, Crafter score). With no options it runs the best agent "
        "available on the default world."),
    "eval": Command(
        "rig.eval.evaluate:EvalConfig", "rig.eval.evaluate:evaluate",
        "score an agent over many seeds in parallel worker processes (no window)",
        "Runs one episode per seed in worker processes and prints the score table: per-episode "
        "return and length, per-achievement success rates, and the Crafter score."),
    "worlds": Command(
        "rig.eval.listing:ListConfig", "rig.eval.listing:list_worlds",
        "list the registered worlds and agents"),
    "bench": {
        "worlds": Command(
            "rig.eval.bench_worlds:BenchWorldsConfig", "rig.eval.bench_worlds:bench_worlds",
            "steps per second through rig.worlds against the raw simulator, same process"),
    },
}


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _selected_path(argv: list[str]) -> list[str]:
    """The command words at the start of argv (`["data", "info"]`), read before parsing."""
    path, node = [], COMMANDS
    for word in argv:
        if not isinstance(node, dict) or word not in node:
            break
        path.append(word)
        node = node[word]
    return path


def _add_commands(subparsers, tree: dict, prefix: str, selected: list[str]) -> None:
    for name, node in tree.items():
        chosen = bool(selected) and selected[0] == name
        if isinstance(node, dict):
            group = subparsers.add_parser(name, help=f"{name} commands: "
                                          + ", ".join(node), prog=f"{prefix} {name}")
            inner = group.add_subparsers(title="commands", metavar="COMMAND", required=True)
            _add_commands(inner, node, f"{prefix} {name}", selected[1:] if chosen else [])
            continue
        parser = subparsers.add_parser(
            name, help=node.help, description=node.description or node.help,
            prog=f"{prefix} {name}", formatter_class=argparse.RawDescriptionHelpFormatter)
        if chosen:
            # Only the command being run imports its config module: `rig --help` stays fast.
            add_config_arguments(parser, _load(node.config))
            parser.set_defaults(_command=node, _parser=parser)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rig", description="RIG: an agent that reasons, acts and imagines. "
        "Run `rig COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"rig {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_commands(subparsers, COMMANDS, "rig", _selected_path(argv or []))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    command: Command | None = getattr(args, "_command", None)
    if command is None:
        parser.print_help()
        return 0
    try:
        config = config_from_args(_load(command.config), args)
        result = _load(command.run)(config)
    except RigError as error:
        prog = args._parser.prog
        print(f"{prog}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
