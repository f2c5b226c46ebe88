"""`rig eval tokenizer`: reconstruction quality and codebook use on held-out episodes.

Role in the data flow: reads a tokenizer checkpoint (`rig train tokenizer`) and the held-out
episodes of a store (seed >= --holdout-seed, never trained on), reconstructs every frame
(`decode(encode(frames))`) and prints PSNR and SSIM (mean, and the 5th percentile of PSNR: the
worst frames), codebook perplexity and the share of dead codes, with the copy-current-frame
baseline on the same episodes for scale. Writes a PNG grid: each pair is an original (left) beside
its reconstruction (right); the last row holds the four worst-PSNR frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rig.config import SHIPPED, RigError, option, require, resolve_model

PSNR_BAR, SSIM_BAR = 30.0, 0.95   # the quality bar on Crafter frames


@dataclass
class EvalTokenizerConfig:
    tokenizer: str = option("crafter", "tokenizer: a checkpoint folder (rig train tokenizer) or "
                            f"a shipped one by name ({', '.join(SHIPPED['tokenizer'])})")
    data: str = option("data/crafter-expert.zarr", "trajectory store holding held-out episodes")
    holdout_seed: int = option(1000, "episodes with seed >= this are evaluated (the training "
                               "run held them out with the same option)")
    max_frames: int = option(50_000, "evaluate whole held-out episodes up to this many frames")
    png: str = option("", "where to write the grid of originals and reconstructions "
                      "(empty: TOKENIZER/eval_grid.png, or ./eval_grid.png for a shipped one)")
    json: str = option("", "also write the figures to this JSON file")
    batch_size: int = option(256, "frames per encode/decode batch")
    ocr_frames: int = option(0, "also read the words of this many held-out frames (spread "
                             "evenly) by OCR, before and after the round trip, and report the "
                             "share still read: whether small text survives (needs tesseract; "
                             "for screenshots). 0: off")
    device: str = option("auto", "cpu, cuda, cuda:N, or auto (cuda when available)")

    def validate(self) -> None:
        require(self.max_frames >= 2, f"--max-frames must be at least 2, got {self.max_frames}")
        require(self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}")
        require(self.ocr_frames >= 0, f"--ocr-frames must be 0 or more, got {self.ocr_frames}")
        self.tokenizer = resolve_model(self.tokenizer, "tokenizer")


def load_heldout(path, holdout_seed: int, max_frames: int):
    """(frames, episode_ends within them, episode count) of whole held-out episodes."""
    import numpy as np

    from rig.trajectories.store import TrajectoryStore
    with TrajectoryStore.open(path, "r") as store:
        seeds = store.read_meta("seed") if store.num_episodes else np.zeros(0, np.int64)
        chosen = [i for i in np.flatnonzero(seeds >= holdout_seed)]
        if not chosen:
            raise RigError(f"{path} has no episode with seed >= {holdout_seed}: collect held-out "
                           f"episodes (`rig collect --seed {holdout_seed} ...`) or set "
                           f"--holdout-seed")
        parts, ends, total = [], [], 0
        for i in chosen:
            a, b = store.episode_bounds(int(i))
            b = min(b, a + max_frames - total)
            parts.append(store.read("image", a, b))
            total += b - a
            ends.append(total)
            if total >= max_frames:
                break
    return np.concatenate(parts), np.asarray(ends), len(ends)


def write_grid(path, originals, recons, psnr, columns: int = 4, rows: int = 4,
               scale: int = 2) -> Path:
    """PNG of (original | reconstruction) pairs; the last row shows the worst-PSNR frames."""
    import numpy as np
    from PIL import Image
    n = len(originals)
    spaced = np.linspace(0, n - 1, columns * (rows - 1)).round().astype(int).tolist()
    worst = np.argsort(np.asarray(psnr))[:columns].tolist()
    picks = (spaced + worst)[: columns * rows] if n > columns else list(range(n))
    h, w = originals.shape[1:3]
    gap = 4
    cell_w = 2 * w + gap
    canvas = np.full((rows * (h + gap), columns * (cell_w + 2 * gap), 3), 255, np.uint8)
    for k, i in enumerate(picks):
        r, c = divmod(k, columns)
        y, x = r * (h + gap), c * (cell_w + 2 * gap)
        canvas[y:y + h, x:x + w] = originals[i]
        canvas[y:y + h, x + w + gap // 2:x + 2 * w + gap // 2] = recons[i]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(canvas)
    image.resize((canvas.shape[1] * scale, canvas.shape[0] * scale), Image.NEAREST).save(path)
    return path


def eval_tokenizer(config: EvalTokenizerConfig) -> int:
    import numpy as np
    import torch

    from rig.imagination.metrics import (codebook_usage, copy_baseline, frame_metrics,
                                         psnr_per_frame)
    from rig.imagination.tokenizer import ImageTokenizer
    from rig.config import pick_device
    tokenizer = ImageTokenizer.from_pretrained(config.tokenizer, device=pick_device(config.device))
    frames, ends, episodes = load_heldout(config.data, config.holdout_seed, config.max_frames)
    shape = (*tokenizer.config.frame_shape, 3)
    if frames.shape[1:] != shape:
        raise RigError(f"{config.data} holds frames of shape {frames.shape[1:]}; the tokenizer "
                       f"takes {shape}")
    from tqdm import tqdm

    block = max(config.batch_size, 1024)  # encoded and decoded a block at a time: a progress bar
    ids, recons = [], []
    for start in tqdm(range(0, len(frames), block), unit="block", desc="round trip"):
        ids.append(tokenizer.encode(frames[start:start + block], config.batch_size))
        recons.append(tokenizer.decode(ids[-1], config.batch_size))
    ids, recons = np.concatenate(ids), np.concatenate(recons)
    dev = tokenizer.device
    quality = frame_metrics(recons, frames, device=dev)
    psnr = np.concatenate([psnr_per_frame(*(torch.from_numpy(a[i:i + 1024]).to(dev) for a in
                                            (recons, frames))).cpu().numpy()
                           for i in range(0, len(frames), 1024)])
    usage = codebook_usage(ids, tokenizer.codebook_size)
    baseline = copy_baseline(frames, ends, device=dev)
    from rig.config import PRETRAINED_DIR

    # beside the checkpoint, unless it is a shipped one (the package's folder is not the
    # user's to write in): then in the working directory
    shipped = Path(config.tokenizer).resolve().is_relative_to(PRETRAINED_DIR)
    png = Path(config.png) if config.png else \
        Path("eval_grid.png") if shipped else Path(config.tokenizer) / "eval_grid.png"
    write_grid(png, frames, recons, psnr)
    cfg = tokenizer.config
    ocr = None
    if config.ocr_frames:
        from rig.imagination.ocr import evenly_spaced, read_all, word_recall
        pick = evenly_spaced(frames, config.ocr_frames)
        ocr = word_recall(read_all(recons[pick]), read_all(frames[pick]))
    passed = quality["psnr"] >= PSNR_BAR and quality["ssim"] >= SSIM_BAR
    result = {"frames": len(frames), "episodes": episodes, "grid": list(cfg.grid_shape),
              "tokens_per_frame": cfg.tokens_per_frame, "codebook_size": cfg.codebook_size,
              "psnr": quality["psnr"], "psnr_p5": float(np.percentile(psnr, 5)),
              "ssim": quality["ssim"], "perplexity": usage["perplexity"],
              "used_codes": usage["used"], "dead_share": usage["dead_share"],
              "copy_baseline_psnr": baseline["psnr"], "copy_baseline_ssim": baseline["ssim"],
              "passed": passed, "png": str(png), "ocr": ocr}
    rows, cols = cfg.grid_shape
    print(f"tokenizer {config.tokenizer}: {rows}x{cols} = {cfg.tokens_per_frame} tokens "
          f"per frame, codebook {cfg.codebook_size}, {tokenizer.num_parameters() / 1e6:.2f}M "
          f"parameters")
    print(f"held-out: {len(frames)} frames of {episodes} episodes (seed >= {config.holdout_seed}) "
          f"from {config.data}")
    print(f"  reconstruction PSNR  {quality['psnr']:7.2f} dB   (bar {PSNR_BAR:.0f}; worst 5% of "
          f"frames below {result['psnr_p5']:.2f} dB)")
    print(f"  reconstruction SSIM  {quality['ssim']:7.4f}      (bar {SSIM_BAR})")
    print(f"  codebook perplexity  {usage['perplexity']:7.1f}      of {cfg.codebook_size} codes; "
          f"{usage['used']} used, dead codes {100 * usage['dead_share']:.1f}%")
    print(f"  copy-current-frame baseline (next frame): PSNR {baseline['psnr']:.2f} dB, SSIM "
          f"{baseline['ssim']:.4f}")
    if ocr is not None:
        print(f"  OCR word recall      {100 * ocr['word_recall']:6.1f}%      of the "
              f"{ocr['words']} words read on {ocr['frames']} originals; "
              f"{100 * ocr['frames_all_words']:.0f}% of frames keep every word")
    print(f"  quality bar (Crafter frames): {'met' if passed else 'NOT met'}")
    print(f"grid of originals (left) and reconstructions (right): {png}")
    if config.json:
        Path(config.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0
