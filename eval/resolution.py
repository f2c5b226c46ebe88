"""`rig eval resolution`: how small can a world's frames get before their detail is lost?

Role in the data flow: run before `rig train tokenizer` on a new world (MiniWoB's screenshots)
to choose the tokenizer's input size (`--resize`) by measurement. A tokenizer sees only the
downsampled frame, so the round trip frame -> area-downsampled input -> bilinear upsampled
frame (what `ImageTokenizer` does around its network with `--resize`) says how much of the
frame an input size keeps, at no training cost. It is a reference rather than a proven
ceiling (a trained decoder may upsample better than bilinear), but it ranks the sizes.

Two figures per size, on held-out episodes: PSNR over the whole frame (the mean over frames,
as `rig eval tokenizer` reports it, so the two compare), and PSNR pooled over the *detail
pixels* of all frames: pixels whose 3x3 neighbourhood spans more than `--contrast` grey levels
(glyph strokes, widget borders). Screenshots are mostly flat background, which the whole-frame
figure is dominated by; small button text is where a too-small input fails first, and the
detail figure is where that shows. A PNG puts a crop of every size side by side to look at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rig.config import ConfigError, RigError, option, require


@dataclass
class EvalResolutionConfig:
    data: str = option("data/miniwob-expert.zarr", "trajectory store holding held-out episodes")
    sizes: list[str] = option(None, "input sizes to measure, HEIGHTxWIDTH",
                              factory=lambda: ["52x40", "104x80", "156x120", "208x160"])
    holdout_seed: int = option(1000, "episodes with seed >= this are measured")
    max_frames: int = option(2000, "measure whole held-out episodes up to this many frames")
    contrast: int = option(64, "a detail pixel's 3x3 neighbourhood spans more grey levels than "
                           "this")
    factors: list[int] = option(None, "tokenizer downsampling factors to print the token grid "
                                "for (2**(blocks - 1))", factory=lambda: [8, 16])
    ocr_frames: int = option(0, "also read the words of this many held-out frames (spread "
                             "evenly) by OCR, on the original and after each size's round trip, "
                             "and report the share still read (needs tesseract). 0: off")
    png: str = option("", "where to write the side-by-side crops (empty: none)")
    json: str = option("", "also write the figures to this JSON file")

    def validate(self) -> None:
        require(self.max_frames >= 1, f"--max-frames must be at least 1, got {self.max_frames}")
        require(self.ocr_frames >= 0, f"--ocr-frames must be 0 or more, got {self.ocr_frames}")
        for size in self.sizes:
            parse_size(size)


def parse_size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"size {text!r} is not HEIGHTxWIDTH (e.g. 104x80)") from None
    require(height >= 1 and width >= 1, f"size {text!r} must be positive")
    return height, width


def round_trip(frames, size: tuple[int, int]):
    """uint8 (B, H, W, 3) frames -> area-downsampled to `size` -> bilinear back: what a
    tokenizer with `--resize` sees of them, before any loss of its own."""
    import torch
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    small = torch.nn.functional.interpolate(x, size=size, mode="area")
    back = torch.nn.functional.interpolate(small, size=frames.shape[1:3], mode="bilinear",
                                           align_corners=False)
    return back.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def eval_resolution(config: EvalResolutionConfig) -> int:
    import numpy as np

    from rig.imagination.metrics import detail_mask, detail_psnr

    from .tokenizer import load_heldout
    from rig.imagination.metrics import frame_metrics

    frames, _, episodes = load_heldout(config.data, config.holdout_seed, config.max_frames)
    frames = frames[frames.reshape(len(frames), -1).max(1) > 0]  # MiniWoB's black end frames
    if not len(frames):
        raise RigError(f"{config.data}: the held-out frames are all black")
    mask = detail_mask(frames, config.contrast)
    height, width = frames.shape[1:3]
    print(f"{config.data}: {len(frames)} held-out frames of {episodes} episodes, "
          f"{height}x{width}; detail pixels {100 * mask.mean():.1f}% (contrast > "
          f"{config.contrast})")
    reference = pick = None
    if config.ocr_frames:
        from rig.imagination.ocr import evenly_spaced, read_all, word_recall
        pick = evenly_spaced(frames, config.ocr_frames)
        reference = read_all(frames[pick])
        print(f"OCR: {sum(sum(c.values()) for c in reference)} words read on {len(pick)} "
              "original frames")
    print(f"{'input':>9} {'PSNR':>7} {'detail PSNR':>12}  " +
          (f"{'OCR words':>10}  " if reference else "") +
          "  ".join(f"tokens at /{f}" for f in config.factors))
    rows, crops = [], []
    for text in config.sizes:
        size = parse_size(text)
        back = round_trip(frames, size)
        grids = {f: (size[0] // f, size[1] // f) if size[0] % f == 0 and size[1] % f == 0
                 else None for f in config.factors}
        row = {"size": list(size), "psnr": frame_metrics(back, frames)["psnr"],
               "detail_psnr": detail_psnr(back, frames, mask),
               "grids": {str(f): list(g) if g else None for f, g in grids.items()}}
        if reference:
            row["ocr"] = word_recall(read_all(back[pick]), reference)
        rows.append(row)
        crops.append(back)
        grid_text = "  ".join(f"{g[0]}x{g[1]}={g[0] * g[1]:<5}".rjust(12) if g else
                              "-".rjust(12) for g in grids.values())
        ocr_text = f"{100 * row['ocr']['word_recall']:9.1f}%  " if reference else ""
        print(f"{text:>9} {row['psnr']:6.2f}  {row['detail_psnr']:11.2f}  {ocr_text}{grid_text}")
    if config.png:
        from PIL import Image

        # the frame with the most detail, every size beside the original, at 3x
        pick = int(mask.reshape(len(mask), -1).mean(1).argmax())
        strip = np.concatenate([frames[pick]] + [c[pick] for c in crops], axis=1)
        Path(config.png).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(strip).resize((strip.shape[1] * 3, strip.shape[0] * 3),
                                      Image.NEAREST).save(config.png)
        print(f"original, then each size left to right: {config.png}")
    if config.json:
        Path(config.json).write_text(json.dumps(
            {"data": config.data, "frames": int(len(frames)), "episodes": episodes,
             "contrast": config.contrast, "detail_share": float(mask.mean()),
             "sizes": rows}, indent=2) + "\n")
    return 0
