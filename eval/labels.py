"""`rig eval labels`: does the text on buttons survive the screen tokenizer?

Role in the data flow: the check on a screen tokenizer (`rig train tokenizer` on MiniWoB
screenshots) that its tokens keep what a GUI agent must read. It opens MiniWoB tasks in the real
browser on seeds the tokenizer never saw, takes each reset's screenshot and the DOM's buttons
(label text and box, `info["dom"]`), sends the screenshot through each tokenizer's round trip
(and, for reference, through plain resize round trips, `--sizes`), and reads every label by OCR
inside its box: on the original and on each reconstruction.

The reference is the DOM's label, not OCR of the original, so the "original" row is the ceiling
OCR reaches on clean pixels and a tokenizer's row is read against the same truth. A label word
counts when OCR reads it in its box (words as `ocr.normalize` makes them: lowercase letters and
digits, two or more). Unlike `rig eval tokenizer --ocr-frames` (every word on the screen), this
is the issue's own question: small text on buttons, where "yes" and "no" are what tell two
buttons apart.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rig.config import RigError, option, require

INSET = 2         # pixels cut off each side of a DOM box: the button's border, which OCR misreads
CROP_SCALE = 4    # upscale of a label crop before OCR (Tesseract wants ~30-pixel glyphs)
BORDER = 6        # pixels of background framed around a crop before OCR


@dataclass
class EvalLabelsConfig:
    tokenizer: list[str] = option(None, "screen tokenizer checkpoint folders to compare, each on "
                                  "the same screenshots", factory=list)
    sizes: list[str] = option(None, "also these plain resize round trips, HEIGHTxWIDTH (what a "
                              "tokenizer with --resize sees, before any network)", factory=list)
    tasks: list[str] = option(None, "MiniWoB task names (e.g. click-button click-dialog-2); "
                              "none: the default suite", factory=list)
    tags: list[str] = option(None, "DOM tags whose text counts as a label",
                             factory=lambda: ["button"])
    episodes: int = option(10, "resets per task")
    seed: int = option(1000, "seed of the first reset (>= the stores' --holdout-seed: screens "
                       "the tokenizer never trained on)")
    png: str = option("", "write a PNG of label crops (original | each round trip) here")
    json: str = option("", "also write the figures, per task and per label, to this JSON")
    workers: int = option(2, "Tesseract processes at a time")
    device: str = option("auto", "cpu, cuda, cuda:N, or auto (cuda when available)")

    def validate(self) -> None:
        from .resolution import parse_size
        require(self.tokenizer or self.sizes, "give at least one --tokenizer (or --sizes) to "
                "measure")
        require(self.episodes >= 1, f"--episodes must be at least 1, got {self.episodes}")
        require(self.workers >= 1, f"--workers must be at least 1, got {self.workers}")
        require(self.tags, "--tags needs at least one DOM tag")
        for size in self.sizes:
            parse_size(size)


def label_boxes(dom: list[dict], tags, shape) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(label text, (top, bottom, left, right) pixel box inside the border, clipped to the frame)
    of every visible DOM element with one of `tags` and a label that has words."""
    from rig.imagination.ocr import normalize
    height, width = shape[:2]
    boxes = []
    for e in dom:
        if e["tag"].lower() not in tags or not normalize(e["text"]):
            continue
        top, left = int(e["top"] + 0.999) + INSET, int(e["left"] + 0.999) + INSET
        bottom, right = int(e["top"] + e["height"]) - INSET, int(e["left"] + e["width"]) - INSET
        top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, height), min(right, width)
        if bottom - top >= 4 and right - left >= 4:
            boxes.append((e["text"], (top, bottom, left, right)))
    return boxes


def read_label(crop, binary: str) -> Counter:
    """The words Tesseract reads in one label crop (a single line of text). The crop is framed
    in its own median border colour first: Tesseract misses glyphs that touch the image edge."""
    import numpy as np

    from rig.imagination.ocr import read_words
    edge = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    framed = np.empty((crop.shape[0] + 2 * BORDER, crop.shape[1] + 2 * BORDER, 3), np.uint8)
    framed[:] = np.median(edge, axis=0).astype(np.uint8)
    framed[BORDER:-BORDER, BORDER:-BORDER] = crop
    return read_words(framed, binary, scale=CROP_SCALE, psm=7)


def collect_screens(tasks, episodes: int, seed: int, tags):
    """[(task, seed, screenshot, [(label, box)])] of reset screens that show labels, with a
    progress bar; each task's browser is closed before the next opens."""
    from tqdm import tqdm

    from rig.worlds import make
    screens = []
    bar = tqdm(total=len(tasks) * episodes, desc="screens", unit="reset")
    for task in tasks:
        env = make(f"rig/MiniWoB-{task}-v0")
        try:
            for k in range(episodes):
                obs, info = env.reset(seed=seed + k)
                boxes = label_boxes(info.get("dom", []), tags, obs["image"].shape)
                if boxes:
                    screens.append((task, seed + k, obs["image"], boxes))
                bar.update(1)
        finally:
            env.close()
    bar.close()
    return screens


def score_labels(reads: list[Counter], labels: list[str]) -> dict:
    """Label words read (pooled, with multiplicity) and labels read whole, against the DOM."""
    from rig.imagination.ocr import normalize
    words = kept = whole = 0
    for got, label in zip(reads, labels):
        truth = Counter(normalize(label))
        words += sum(truth.values())
        kept += sum((got & truth).values())
        whole += not (truth - got)
    return {"word_recall": kept / words if words else float("nan"),
            "labels_read": whole / len(labels) if labels else float("nan"),
            "labels": len(labels), "words": words}


def write_crops_png(path, rows: list[list], names: list[str], scale: int = 3) -> Path:
    """PNG: one row per label, its crop on the original and after each round trip."""
    import numpy as np
    from PIL import Image
    gap = 4
    height = max(c.shape[0] for row in rows for c in row)
    widths = [max(row[j].shape[1] for row in rows) for j in range(len(names))]
    canvas = np.full((len(rows) * (height + gap), sum(widths) + gap * len(widths), 3), 255,
                     np.uint8)
    for i, row in enumerate(rows):
        x, y = 0, i * (height + gap)
        for j, crop in enumerate(row):
            canvas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
            x += widths[j] + gap
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).resize((canvas.shape[1] * scale, canvas.shape[0] * scale),
                                   Image.NEAREST).save(path)
    return path


def eval_labels(config: EvalLabelsConfig) -> int:
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    from rig.worlds.miniwob_tasks import MINIWOB_SUITE
    from rig.imagination.ocr import tesseract_binary
    from .resolution import parse_size, round_trip
    from rig.imagination.tokenizer import ImageTokenizer
    from rig.config import pick_device
    binary = tesseract_binary()   # fail before the browsers start
    tokenizers = [ImageTokenizer.from_pretrained(t, device=pick_device(config.device))
                  for t in config.tokenizer]
    tasks = list(config.tasks) or list(MINIWOB_SUITE)
    unknown = sorted(set(tasks) - set(MINIWOB_SUITE))
    if unknown:
        from rig.worlds import WORLDS
        missing = [t for t in unknown if f"rig/MiniWoB-{t}-v0" not in WORLDS]
        if missing:
            raise RigError(f"unknown MiniWoB task(s): {', '.join(missing)} (`rig worlds` lists "
                           f"them)")
    tags = {t.lower() for t in config.tags}
    screens = collect_screens(tasks, config.episodes, config.seed, tags)
    if not screens:
        raise RigError(f"no reset screen of {', '.join(tasks)} shows a label with tags "
                       f"{sorted(tags)}: choose tasks with buttons (e.g. click-button, "
                       f"click-dialog-2) or other --tags")
    frames = np.stack([s[2] for s in screens])
    for name, tok in zip(config.tokenizer, tokenizers):
        if frames.shape[1:] != (*tok.config.frame_shape, 3):
            raise RigError(f"{name} takes {tok.config.frame_shape} frames, the screens are "
                           f"{frames.shape[1:3]}")
    variants = {"original": frames}
    names = [Path(t).name for t in config.tokenizer]   # the folder's name, unless two share it
    names = names if len(set(names)) == len(names) else list(config.tokenizer)
    for name, tok in zip(names, tokenizers):
        variants[f"tokenizer {name}"] = tok.reconstruct(frames)
    for size in config.sizes:
        variants[f"resize {size}"] = round_trip(frames, parse_size(size))
    items = [(i, label, box) for i, s in enumerate(screens) for label, box in s[3]]
    labels = [label for _, label, _ in items]

    def crops(images):
        return [images[i][t:b, l:r] for i, _, (t, b, l, r) in items]

    results, per_task, reads_by = {}, {}, {}
    with ThreadPoolExecutor(config.workers) as pool:
        for name, images in variants.items():
            reads = list(pool.map(lambda c: read_label(c, binary), crops(images)))
            reads_by[name] = reads
            results[name] = score_labels(reads, labels)
            for task in dict.fromkeys(s[0] for s in screens):
                pick = [k for k, (i, _, _) in enumerate(items) if screens[i][0] == task]
                per_task.setdefault(task, {})[name] = score_labels([reads[k] for k in pick],
                                                                   [labels[k] for k in pick])
    print(f"{len(items)} labels ({', '.join(sorted(tags))}) on {len(screens)} reset screens of "
          f"{len(dict.fromkeys(s[0] for s in screens))} tasks, seeds {config.seed}-"
          f"{config.seed + config.episodes - 1}; OCR inside each label's DOM box")
    print(f"{'':44s} {'label words read':>17s} {'labels read whole':>18s}")
    for name, r in results.items():
        print(f"  {name[:42]:42s} {100 * r['word_recall']:16.1f}% {100 * r['labels_read']:17.1f}%")
    if config.png:
        spaced = np.unique(np.linspace(0, len(items) - 1, min(24, len(items))).astype(int))
        rows = [[c[k] for c in (crops(v) for v in variants.values())] for k in spaced]
        print(f"label crops (original, then each round trip): "
              f"{write_crops_png(config.png, rows, list(variants))}")
    if config.json:
        detail = [{"task": screens[i][0], "seed": screens[i][1], "label": label, "box": box,
                   "read": {name: " ".join(sorted(reads_by[name][k].elements()))
                            for name in variants}}
                  for k, (i, label, box) in enumerate(items)]
        Path(config.json).write_text(json.dumps(
            {"tasks": tasks, "seed": config.seed, "episodes": config.episodes,
             "tags": sorted(tags), "results": results, "per_task": per_task, "labels": detail},
            indent=1) + "\n")
    return 0
