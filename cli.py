"""The `rig` command: a thin layer that parses a dataclass config and calls one function of a room.

Every subcommand is a (config class, function) pair named by import path, so `rig --help` imports
nothing heavy: config modules hold dataclasses only, and the work imports torch, pygame or zarr
when it runs. Errors the user can fix print one clear line (exit 2 for bad options, 1 for bad
files); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
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


# The command tree: a dict is a group (`rig data ...`), a Command is a leaf. A group's ""
# entry, if any, runs when no sub-command is named (`rig eval --agent expert`).
COMMANDS: dict = {
    "play": Command(
        "rig.eval.play:PlayConfig", "rig.eval.play:play",
        "watch an agent play a world, live or headless; record video and screenshots",
        "Plays episodes with an agent. The viewer shows the frame, the agent's reasoning and "
        "action, and a slot for the imagined next frame. Ends with a summary (returns, "
        "per-achievement success rates, Crafter score). With no options it runs the best agent "
        "available on the default world."),
    "eval": {
        # `rig eval --agent ...` scores an agent; `rig eval tokenizer ...` and friends measure
        # other things. The "" entry is what the group runs when no sub-command is named.
        "": Command(
            "rig.eval.evaluate:EvalConfig", "rig.eval.evaluate:evaluate",
            "score an agent over many seeds in parallel worker processes (no window)",
            "Runs one episode per seed in worker processes and prints the score table: "
            "per-episode return and length, per-achievement success rates, and the Crafter "
            "score. Sub-commands measure other things: tokenizer, imagination, decisions, "
            "resolution, labels, miniwob, scaling, verdict, ablation (`rig eval NAME --help`)."),
        "ablation": Command(
            "rig.eval.ablation:EvalAblationConfig", "rig.eval.ablation:eval_ablation",
            "the RIG ablation table: train and score each variant with the same data and budget",
            "Trains action-only, +imagination, +reasoning and RIG-basic policies on the same "
            "stores with the same steps, evaluates them and RIG-lookahead (RIG-basic reviewing "
            "its imagined outcomes) on the same seeds, beside their anchors on those seeds (random, "
            "the stores' teacher, and the bc baseline trained on the same stores for the same "
            "minutes), and writes OUT/ablation.json and OUT/ablation.md. Resumable: trained "
            "variants and finished evaluations are kept."),
        "scaling": Command(
            "rig.eval.scaling:EvalScalingConfig", "rig.eval.scaling:eval_scaling",
            "test-time scaling: score against lookahead and candidates (JSON, CSV, PNG plots)",
            "Evaluates the RIG policy on the same seeds for every (lookahead, candidates) "
            "setting: Crafter score with a bootstrap interval, per-achievement rates, generated "
            "tokens and milliseconds per environment step, share of revised steps. Resumes: "
            "settings already in OUT/scaling.json are skipped."),
        "verdict": Command(
            "rig.eval.verdict:EvalVerdictConfig", "rig.eval.verdict:eval_verdict",
            "the reviewer's verdict alone: does P(accept) pick the proposal whose real outcome "
            "is best?",
            "Plays the policy on the seeds; wherever its N proposals differ, judges each on "
            "its imagined outcome H steps ahead (as --agent judge: does) and tries each in a "
            "branch of the real world (as --agent oracle: does). Prints, for each pick rule "
            "(first sample, random of N, majority, judge, weighted judge, oracle), the reward "
            "it gains over the first sample per step with a 95% interval, how often it changes "
            "the action and picks a best proposal, and the AUC of P(accept) on states whose "
            "real outcomes differ. Minutes where a closed-loop comparison takes an hour."),
        "tokenizer": Command(
            "rig.eval.tokenizer:EvalTokenizerConfig",
            "rig.eval.tokenizer:eval_tokenizer",
            "image tokenizer quality on held-out episodes: PSNR, SSIM, codebook use, PNG grid",
            "Reconstructs every frame of the held-out episodes (seed >= --holdout-seed) and "
            "prints PSNR, SSIM, codebook perplexity and dead codes beside the "
            "copy-current-frame baseline; writes a PNG of originals beside reconstructions."),
        "miniwob": Command(
            "rig.eval.miniwob_table:EvalMiniWoBConfig", "rig.eval.miniwob_table:eval_miniwob",
            "MiniWoB++ success per task and the mean, for several agents side by side",
            "Plays the same seeds of every task (the default suite unless --tasks) with each "
            "agent (the DOM expert, the random clicker, RIG policies such as a Crafter + "
            "MiniWoB generalist) in worker processes that each own a headless Chromium, and "
            "prints the success table with the mean per agent."),
        "resolution": Command(
            "rig.eval.resolution:EvalResolutionConfig",
            "rig.eval.resolution:eval_resolution",
            "choose a tokenizer's input size: frame detail kept at each size, before training",
            "Area-downsamples held-out frames to each --sizes and back (what a tokenizer with "
            "--resize sees of them) and prints PSNR over the whole frame and over detail pixels "
            "(text strokes, borders), with the token grid each size gives: an upper bound on "
            "any tokenizer at that size, measured without training one."),
        "labels": Command(
            "rig.eval.labels:EvalLabelsConfig", "rig.eval.labels:eval_labels",
            "does the text on buttons survive a screen tokenizer? OCR in each label's box",
            "Opens MiniWoB tasks in headless Chromium on held-out seeds, takes each reset's "
            "screenshot and its buttons from the DOM (label and box), sends the screenshot "
            "through each --tokenizer's round trip (and plain --sizes resizes), and reads every "
            "label by OCR inside its box, against the DOM's text: label words read and labels "
            "read whole, on the original (OCR's ceiling) and on each reconstruction."),
        "decisions": Command(
            "rig.eval.decisions:EvalDecisionsConfig", "rig.eval.decisions:eval_decisions",
            "free-running decisions on held-out teacher states: agreement with the teacher",
            "Puts a learned agent (rig:DIR or bc:DIR) in sampled states of the teacher's held-out "
            "episodes as acting would, lets it decide (the RIG policy writes its own reasoning "
            "first) and prints how often its action is the teacher's, with a 95% bootstrap "
            "interval, at each --temperatures. Seconds, where a closed-loop evaluation takes "
            "most of an hour on a CPU; the same measure rig train policy logs as "
            "val/free_action_agreement (with --own-context: val/free_action_agreement_own)."),
        "imagination": Command(
            "rig.eval.imagination:EvalImaginationConfig", "rig.eval.imagination:eval_imagination",
            "the policy's imagined next frames on held-out transitions, beside copy-the-frame",
            "Teacher-forces held-out steps up to <imagine>, lets the policy write the next "
            "frame's image tokens, decodes them, and prints PSNR and SSIM against the real next "
            "frame beside the copy-current-frame baseline, on all transitions and on those "
            "where the frame changes."),
    },
    "collect": Command(
        "rig.trajectories.collect:CollectConfig", "rig.trajectories.collect:collect",
        "play an agent in worker processes and append its episodes to a trajectory store",
        "Collects one episode per seed into a zarr trajectory store (created if missing). "
        "Resumable: seeds the store already holds for this world and agent are skipped, so "
        "running the same command again finishes a killed run and never overwrites."),
    "worlds": Command(
        "rig.eval.listing:ListConfig", "rig.eval.listing:list_worlds",
        "list the registered worlds and agents"),
    "train": {
        "tokenizer": Command(
            "rig.train.tokenizer:TrainTokenizerConfig",
            "rig.train.tokenizer:train_tokenizer",
            "train the VQ image tokenizer (diffusers VQModel) on a store's frames (resumable)",
            "Trains frames -> image tokens -> frames on the episodes of --data whose seed is below "
            "--holdout-seed, validating on the others, and saves a checkpoint folder (safetensors "
            "weights + config) in --out. Running the same command again resumes from it."),
        "ppo": Command(
            "rig.train.ppo:PPOConfig", "rig.train.ppo:train_ppo",
            "train the stable-baselines3 PPO baseline on a world's pixels (resumable)",
            "Trains SB3's CnnPolicy PPO on the frame alone and saves OUT/model.zip, SB3's own "
            "format, with the policy's weights beside it as OUT/model.safetensors (likewise each "
            "checkpoint). Running the same command again resumes from the newest checkpoint in "
            "OUT/checkpoints. Play the result with `rig play --agent ppo:OUT/model.zip`: RIG plays "
            "the safetensors file and never loads a zip to act, because SB3's zips unpickle "
            "objects when loaded, which can run code. Only resume from, or --convert, zips you "
            "made yourself."),
        "bc": Command(
            "rig.train.bc:TrainBCConfig", "rig.train.bc:train_bc",
            "train the plain behaviour-cloning baseline (CNN, action only) on the same stores",
            "Clones the teacher's actions in the stores with a small CNN that reads the frame "
            "and the last executed action (--text: also the observation text's vitals and "
            "inventory): no "
            "reasoning, no imagination, no image tokens. The same train/validation split by "
            "seed as `rig train policy`; validation reports the agreement of its decisions with "
            "the teacher on held-out seeds. Give it the RIG policy's data and minutes "
            "(--max-minutes, --threads 1) and report the two side by side; play it with "
            "--agent bc:OUT. Running the same command again resumes exactly."),
        "policy": Command(
            "rig.train.train_policy:PolicyTrainConfig", "rig.train.train_policy:train_policy",
            "train the RIG transformer (reason, act, imagine) on tokenized trajectory stores",
            "Next-token training over the mixed stream of text, action and image tokens, with a "
            "loss weight per segment. --no-reasoning / --no-imagination give the RIG ablations. "
            "Checkpoints go to OUT/checkpoints; running the same command again resumes exactly. "
            "CPU runs in fp32, GPUs in bf16; `accelerate launch -m rig train policy ...` runs "
            "it on several processes."),
    },
    "data": {
        "tokenize": Command(
            "rig.trajectories.tokenize:DataTokenizeConfig", "rig.trajectories.tokenize:data_tokenize",
            "write the image-token ids of every frame into a store (data/image_tokens)",
            "Runs the tokenizer's encoder once over the store's frames and stores the ids, so "
            "policy training never runs the image encoder. Run again after appending episodes: "
            "only new steps are encoded."),
        "info": Command(
            "rig.trajectories.data_cli:DataInfoConfig", "rig.trajectories.data_cli:data_info",
            "summarize a trajectory store: episodes, steps, worlds, agents, returns, disk size",
            "Prints episodes, steps, worlds and agents, returns and lengths, the success rate, "
            "the Crafter score where achievements are recorded, and disk bytes per frame."),
        "check": Command(
            "rig.trajectories.data_cli:DataCheckConfig", "rig.trajectories.data_cli:data_check",
            "validate a whole trajectory store; exit code 1 when anything is wrong",
            "Checks format and version, array lengths and shapes, chunk files, monotone episode "
            "ends, that every chunk and text decodes, and per-episode metadata against the "
            "steps. Names every problem found; exit code 1 when there is any."),
        "show": Command(
            "rig.trajectories.data_cli:DataShowConfig", "rig.trajectories.data_cli:data_show",
            "print one episode step by step: action, reward, reasoning"),
        "export": Command(
            "rig.trajectories.data_cli:DataExportConfig", "rig.trajectories.data_cli:data_export",
            "write an episode as a captioned MP4/GIF or a PNG contact sheet",
            "Writes one episode: .mp4 or .gif draws each frame beside its step, action, reward "
            "and reasoning; .png tiles evenly spaced frames on one contact sheet."),
        "merge": Command(
            "rig.trajectories.data_cli:DataMergeConfig", "rig.trajectories.data_cli:data_merge",
            "concatenate trajectory stores of the same format into a new store"),
        "review": Command(
            "rig.trajectories.review:DataReviewConfig", "rig.trajectories.review:data_review",
            "review examples from the simulator: branch stored states, try other actions",
            "At sampled states of stored episodes the world is rebuilt (seed + recorded actions), "
            "branched, and the expert's action, sampled poor actions and optionally a policy's "
            "own choice are each rolled out; what really happened grounds a review text, a "
            "verdict (accept or revise) and the correction. Written as a trajectory store."),
    },
    "bench": {
        "tokenizer": Command(
            "rig.eval.bench_tokenizer:BenchTokenizerConfig", "rig.eval.bench_tokenizer:bench_tokenizer",
            "image tokenizer encode/decode frames per second at batch 64, CPU and GPU"),
        "worlds": Command(
            "rig.eval.bench_worlds:BenchWorldsConfig", "rig.eval.bench_worlds:bench_worlds",
            "steps per second through rig.worlds against the raw simulator, same process"),
        "policy": Command(
            "rig.eval.bench_policy:BenchPolicyConfig", "rig.eval.bench_policy:bench_policy",
            "policy decoding speed: our KV-cached batched decoder against model.generate()",
            "Writes the same grammar-constrained steps with both on the same model in the same "
            "process and prints tokens/s, ms per environment step and the ratios."),
        "train": Command(
            "rig.eval.bench_train:BenchTrainConfig", "rig.eval.bench_train:bench_train",
            "policy trainer steps against a bare torch loop on the same batches",
            "Trains the same model on the same batches with `rig train policy`'s loop and with "
            "a bare forward/backward/AdamW loop on prebuilt batches, in alternating rounds, and "
            "prints tokens per second and the ratio."),
        "play": Command(
            "rig.eval.bench_play:BenchPlayConfig", "rig.eval.bench_play:bench_play",
            "whole acting steps (world + tokenizer + policy) against random at K worlds",
            "Plays K Crafter worlds in lockstep with the RIG policy (--agent rig:PATH, or an "
            "untrained tiny one with the shipped tokenizer) and with the random agent, in "
            "alternating rounds, and prints world-steps per second, the ratio and what a "
            "40-episode evaluation of 1,000 steps would take."),
        "miniwob": Command(
            "rig.eval.bench_miniwob:BenchMiniWoBConfig", "rig.eval.bench_miniwob:bench_miniwob",
            "MiniWoB++ world latency and expert episodes per minute with K browsers",
            "Times reset and step of one GUI world in this process, then the expert's episodes "
            "per minute with K worker processes, each owning a headless Chromium. --success "
            "measures the expert's success rate per task instead."),
        "store": Command(
            "rig.eval.bench_store:BenchStoreConfig", "rig.eval.bench_store:bench_store",
            "trajectory store speed and size on real Crafter frames, against numpy arrays",
            "Collects real Crafter episodes with the random agent, then times appending them, "
            "random K-step windows through the training Dataset, and a sequential scan, each "
            "beside the same operation on in-memory numpy arrays, and prints bytes on disk per "
            "frame. Figures, not a pass/fail test (noisy on shared machines)."),
    },
}


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _selected_path(argv: list[str]) -> list[str]:
    """The command words at the start of argv (`["data", "info"]`), read before parsing."""
    path, node = [], COMMANDS
    for word in argv:
        if not isinstance(node, dict) or not word or word not in node:
            break
        path.append(word)
        node = node[word]
    if isinstance(node, dict) and "" in node and path:
        path.append("")  # a group run as a command of its own
    return path


def _add_commands(subparsers, tree: dict, prefix: str, selected: list[str]) -> None:
    for name, node in tree.items():
        if name == "":
            continue
        chosen = bool(selected) and selected[0] == name
        if isinstance(node, dict) and "" in node and (not chosen or selected[1:] == [""]):
            node = node[""]  # listed, or run, as the group's own command
        if isinstance(node, dict):
            children = [n for n in node if n]
            group = subparsers.add_parser(name, help=f"{name} commands: "
                                          + ", ".join(children), prog=f"{prefix} {name}")
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
    except BrokenPipeError:
        # `rig data info STORE | head`: the reader left; say nothing more (Python's own recipe:
        # point stdout at devnull so the interpreter's final flush does not raise again)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command that a pipe closed
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
