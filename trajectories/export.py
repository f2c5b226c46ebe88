"""Episodes out of a store as pictures for people: MP4 or GIF with captions, PNG contact sheets.

Role in the data flow: the end of the line for a recorded episode: `rig data export` reads one
episode and draws each frame (scaled up, nearest neighbour) beside a caption panel with the step,
action, reward and the agent's reasoning; or tiles evenly spaced frames on one sheet.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BACKGROUND, TEXT, DIM = (24, 24, 28), (235, 235, 235), (150, 150, 160)


def _font(size: int = 12):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # older Pillow: a fixed bitmap font
        return ImageFont.load_default()


def _scaled(frame: np.ndarray, size: int) -> Image.Image:
    return Image.fromarray(frame).resize((size, size), Image.NEAREST)


def caption_frame(frame: np.ndarray, lines: list[str], size: int = 256,
                  panel: int = 256) -> np.ndarray:
    """The frame at `size` x `size`, with `lines` wrapped in a panel to its right."""
    canvas = Image.new("RGB", (size + panel, size), BACKGROUND)
    canvas.paste(_scaled(frame, size), (0, 0))
    draw, font = ImageDraw.Draw(canvas), _font(12)
    y, width = 6, max(10, panel // 7)
    for i, line in enumerate(lines):
        for part in textwrap.wrap(line, width) or [""]:
            if y > size - 16:
                draw.text((size + 8, y), "...", fill=DIM, font=font)
                return np.asarray(canvas)
            draw.text((size + 8, y), part, fill=TEXT if i else DIM, font=font)
            y += 15
        y += 4
    return np.asarray(canvas)


def step_lines(episode: dict[str, Any], t: int) -> list[str]:
    meta = episode["meta"]
    lines = [f"{meta['agent']} on {meta['world_id']} seed {meta['seed']}  step {t + 1}/"
             f"{meta['length']}",
             f"action: {episode['action_text'][t]}   reward: {float(episode['reward'][t]):+.2f}"]
    if str(episode["reasoning"][t]):
        lines.append(f"reasoning: {episode['reasoning'][t]}")
    if "review" in episode and str(episode["review"][t]):
        lines.append(f"review: {episode['review'][t]}")
    return lines


def export_video(episode: dict[str, Any], path: Path, fps: float = 8.0, size: int = 256) -> int:
    """MP4 or GIF (by suffix) of every step with its caption; returns the frame count."""
    import imageio.v2 as imageio

    frames = [caption_frame(episode["image"][t], step_lines(episode, t), size)
              for t in range(len(episode["action"]))]
    if path.suffix.lower() == ".gif":
        imageio.mimsave(path, frames, duration=1000.0 / fps, loop=0)
    else:
        with imageio.get_writer(path, fps=fps, codec="libx264", quality=8,
                                macro_block_size=16, ffmpeg_log_level="error") as writer:
            for frame in frames:
                writer.append_data(frame)
    return len(frames)


def contact_sheet(episode: dict[str, Any], path: Path, tiles: int = 48, columns: int = 8,
                  size: int = 128) -> int:
    """PNG of up to `tiles` evenly spaced frames labelled with their step; returns the count."""
    n = len(episode["action"])
    picks = np.unique(np.linspace(0, n - 1, num=min(tiles, n)).round().astype(int))
    rows = -(-len(picks) // columns)
    label = 16
    sheet = Image.new("RGB", (columns * size, rows * (size + label)), BACKGROUND)
    draw, font = ImageDraw.Draw(sheet), _font(11)
    for k, t in enumerate(picks):
        x, y = (k % columns) * size, (k // columns) * (size + label)
        sheet.paste(_scaled(episode["image"][t], size), (x, y))
        draw.text((x + 3, y + size + 1), f"{t + 1}: {episode['action_text'][t]}"[:22], fill=TEXT,
                  font=font)
    sheet.save(path)
    return len(picks)
