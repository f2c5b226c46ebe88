"""`rig data info | check | show | export | merge`: look inside trajectory stores and maintain them.

Role in the data flow: the human-facing side of `rig.trajectories`. Each verb is a dataclass
config plus one function; this module imports only the standard library at load time (the CLI
imports it for `--help`), and zarr, numpy or PIL inside the functions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rig.config import RigError, missing_parent, option, require


@dataclass
class DataInfoConfig:
    path: str = option(help="the trajectory store (a directory)", positional=True)


@dataclass
class DataCheckConfig:
    path: str = option(help="the trajectory store to validate", positional=True)


@dataclass
class DataShowConfig:
    path: str = option(help="the trajectory store", positional=True)
    episode: int = option(0, "episode index (negative counts from the end)")
    max_steps: int | None = option(None, "show at most this many steps; none shows all")
    width: int = option(100, "characters per line; longer reasoning is cut")

    def validate(self) -> None:
        require(self.max_steps is None or self.max_steps > 0, "--max-steps must be positive")
        require(self.width >= 40, "--width must be at least 40")


@dataclass
class DataExportConfig:
    path: str = option(help="the trajectory store", positional=True)
    output: str = option(help="file to write: .mp4 or .gif (captioned video), .png (contact "
                         "sheet) or .html (a page to browse the episode step by step: real, "
                         "imagined and next frames, reasoning, review, return); with "
                         "--format lerobot, a folder for the whole store",
                         positional=True)
    format: str = option("auto", "auto: one episode, the kind OUTPUT's suffix names; lerobot: "
                         "every episode as a LeRobot dataset (v3.0: parquet, frames as PNG) "
                         "that LeRobotDataset(root=OUTPUT) loads")
    overwrite: bool = option(False, "--format lerobot: replace OUTPUT if it holds anything")
    episode: int = option(0, "episode index (negative counts from the end)")
    fps: float = option(8.0, "frames per second of the video (and of a LeRobot dataset's "
                       "timestamps)")
    size: int = option(256, "pixels per side of each frame in the video")
    tiles: int = option(48, "frames on the contact sheet (evenly spaced)")
    max_steps: int | None = option(None, "the page (.html) holds the first this many steps "
                                   "(none: all; a page weighs ~10 KB a step)")

    def validate(self) -> None:
        require(self.format in ("auto", "lerobot"),
                f"--format must be auto or lerobot, got {self.format!r}")
        require(self.format == "lerobot" or
                Path(self.output).suffix.lower() in (".mp4", ".gif", ".png", ".html"),
                f"output must end in .mp4, .gif, .png or .html (or pass --format lerobot "
                f"for a dataset folder), got {self.output!r}")
        require(self.fps > 0, "--fps must be positive")
        require(16 <= self.size <= 2048 and self.size % 16 == 0,
                "--size must be a multiple of 16 between 16 and 2048")
        require(self.tiles > 0, "--tiles must be positive")
        require(self.max_steps is None or self.max_steps >= 1, "--max-steps must be positive")


@dataclass
class DataMergeConfig:
    inputs: list[str] = option(help="stores to concatenate, in order", positional=True)
    output: str | None = option(None, "the new store to write (required)")
    overwrite: bool = option(False, "replace OUTPUT if it already holds a store")

    def validate(self) -> None:
        require(self.output is not None, "--output is required: the store to write")
        require(str(Path(self.output).resolve()) not in
                {str(Path(p).resolve()) for p in self.inputs},
                "--output must differ from every input")


def _open(path: str):
    from .store import TrajectoryStore
    return TrajectoryStore.open(path, "r")


def _counts(values) -> str:
    return ", ".join(f"{k} ({n})" for k, n in Counter(str(v) for v in values).most_common())


def data_info(config: DataInfoConfig) -> int:
    import numpy as np
    with _open(config.path) as store:
        episodes, steps = store.num_episodes, store.num_steps
        print(f"store    {store.path}  ({store.attrs['format']} v{store.attrs['format_version']})")
        print(f"episodes {episodes}   steps {steps}   image {store.image_shape}")
        if episodes:
            returns, lengths = store.read_meta("return"), store.read_meta("length")
            print(f"worlds   {_counts(store.read_meta('world_id'))}")
            print(f"agents   {_counts(store.read_meta('agent'))}")
            print(f"return   mean {returns.mean():.2f}  min {returns.min():.2f}  max "
                  f"{returns.max():.2f}")
            print(f"length   mean {lengths.mean():.1f}  min {lengths.min()}  max {lengths.max()}")
            print(f"success  {100.0 * store.read_meta('success').mean():.1f}% of episodes")
            names = store.columns.get("achievements_unlocked")
            if names:
                unlocked = [str(a).split(",") if str(a) else []
                            for a in store.read_meta("achievements")]
                from rig.rollout.scores import crafter_score, score_name, success_rates

                score = crafter_score(success_rates(unlocked, names).values())
                label = score_name(store.read_meta("world_id"))
                print(f"score    {label} {score:.2f}% over "
                      f"{episodes} episodes (all agents together)")
                per = Counter(a for u in unlocked for a in u)
                print("unlocked " + (", ".join(f"{a} {100.0 * n / episodes:.0f}%"
                                               for a, n in per.most_common()) or "none"))
        size = store.disk_bytes()
        raw = int(np.prod(store.image_shape)) if store.image_shape else 0
        per_frame = size / steps if steps else 0.0
        ratio = f" ({per_frame / raw:.1%} of a raw uint8 frame)" if raw and steps else ""
        print(f"disk     {size / 1e6:.2f} MB, {per_frame:.0f} bytes per frame{ratio}")
        print(f"keys     {', '.join(store.step_keys)}")
    return 0


def data_check(config: DataCheckConfig) -> int:
    from .check import check_store
    problems, notes = check_store(config.path)
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print(f"{config.path}: {len(problems)} problem{'s' * (len(problems) > 1)} found")
        return 1
    with _open(config.path) as store:
        print(f"{config.path}: ok, {store.num_episodes} episodes, {store.num_steps} steps")
    return 0


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:max(0, width - 3)] + "..."


def data_show(config: DataShowConfig) -> int:
    with _open(config.path) as store:
        if not store.num_episodes:
            raise RigError(f"{config.path} holds no episodes")
        try:
            ep = store.episode(config.episode)
        except IndexError as error:
            raise RigError(str(error)) from None
    meta = ep["meta"]
    print(f"episode {meta['index']}: {meta['agent']} on {meta['world_id']} "
          f"({meta['world_version']}), seed {meta['seed']}, {meta['length']} steps, return "
          f"{meta['return']:.2f}, success {meta['success']}, created {meta['created']}")
    if meta["task_text"]:
        print(f"task: {_cut(meta['task_text'], config.width - 6)}")
    if meta["achievements"]:
        print(f"achievements: {meta['achievements'].replace(',', ', ')}")
    n = len(ep["action"]) if config.max_steps is None else min(config.max_steps, len(ep["action"]))
    print(f"{'step':>5}  {'action':<18} {'reward':>6}  {'end':<3}  reasoning")
    if "teacher_action_text" in ep:
        print("(DAgger store: 'executed>label' where the driver's action was not the teacher's)")
    room = config.width - 40
    for t in range(n):
        end = "T" if ep["terminated"][t] else ("t" if ep["truncated"][t] else "")
        action = str(ep["action_text"][t])
        label = str(ep["teacher_action_text"][t]) if "teacher_action_text" in ep else ""
        if label and label != action:  # DAgger: the driver's action, then the teacher's label
            action = f"{action}>{label}"
        print(f"{t:>5}  {_cut(action, 18):<18} {float(ep['reward'][t]):>6.2f}  "
              f"{end:<3}  {_cut(ep['reasoning'][t], room)}")
        if "review" in ep and str(ep["review"][t]):
            verdict = str(ep["review_verdict"][t]) if "review_verdict" in ep else ""
            text = f"[{verdict}] {ep['review'][t]}" if verdict else str(ep["review"][t])
            print(f"{'':>35}  review: {_cut(text, room - 8)}")
            if verdict == "revise" and "review_corrected_action" in ep:
                print(f"{'':>35}  correction: {ep['review_corrected_action'][t]}: "
                      f"{_cut(ep['review_corrected_reasoning'][t], room - 30)}")
    if n < len(ep["action"]):
        print(f"... {len(ep['action']) - n} more steps (raise --max-steps)")
    return 0


def data_export(config: DataExportConfig) -> int:
    from .export import contact_sheet, export_video
    output = Path(config.output)
    if missing_parent(config.output):  # exit 1, as a missing store; before any reading
        raise RigError(f"cannot write {output}: folder {missing_parent(config.output)} does "
                       "not exist")
    if config.format == "lerobot":
        from .lerobot import export_lerobot

        with _open(config.path) as store:
            info = export_lerobot(store, output, fps=config.fps, overwrite=config.overwrite)
        print(f"wrote {output}: a LeRobot {info['codebase_version']} dataset of "
              f"{info['total_episodes']} episodes, {info['total_frames']} frames "
              f"(LeRobotDataset(repo_id=..., root={str(output)!r}))")
        return 0
    with _open(config.path) as store:
        if not store.num_episodes:
            raise RigError(f"{config.path} holds no episodes")
        try:
            wanted = ("image", "action", "action_text", "reward", "reasoning", "review") + \
                (("imagined_frame", "text") if output.suffix.lower() == ".html" else ())
            ep = store.episode(config.episode, keys=[k for k in wanted if k in store.data])
        except IndexError as error:
            raise RigError(str(error)) from None
    if output.suffix.lower() == ".html":
        from .browser import browser_page

        output.write_text(browser_page(ep, config.max_steps, fps=config.fps), encoding="utf-8")
        count = min(len(ep["image"]), config.max_steps or len(ep["image"]))
    elif output.suffix.lower() == ".png":
        count = contact_sheet(ep, output, tiles=config.tiles)
    else:
        count = export_video(ep, output, fps=config.fps, size=config.size)
    print(f"wrote {output} ({count} frames of episode {ep['meta']['index']})")
    return 0


def data_merge(config: DataMergeConfig) -> int:
    from .store import StoreError, TrajectoryStore
    sources = [_open(p) for p in config.inputs]
    try:
        shapes = {s.image_shape for s in sources if s.num_episodes}
        if len(shapes) > 1:
            raise StoreError(f"cannot merge frames of different shapes: "
                             + ", ".join(f"{s.path} {s.image_shape}" for s in sources))
        with TrajectoryStore.open(config.output, "w", overwrite=config.overwrite) as out:
            for source in sources:
                for i in range(source.num_episodes):
                    out.append_episode(source.episode(i))
            print(f"wrote {config.output}: {out.num_episodes} episodes, {out.num_steps} steps "
                  f"from {len(sources)} stores")
    finally:
        for source in sources:
            source.close()
    return 0
