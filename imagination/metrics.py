"""Metrics of imagination: how close predicted (or reconstructed) frames are to the real ones.

Role in the data flow: `rig eval tokenizer` scores reconstructions with these; the policy issue
scores imagined next frames with the same functions, always beside the honest baseline
`copy_baseline` (predict that the next frame equals the current one), which a world model must
beat to be worth anything.

PSNR and SSIM come from torchmetrics (maintained implementations; SSIM with its standard 11x11
Gaussian window, sigma 1.5, on RGB in [0, 255]). Both are computed per frame and averaged over
frames, so a batch's figure does not depend on how frames are batched. Frames are uint8
(B, H, W, 3), numpy or torch. Codebook statistics (perplexity, dead codes) describe token ids.
"""

from __future__ import annotations

import math

PSNR_CAP = 100.0  # dB reported for a pixel-exact frame (MSE 0), instead of infinity


def _as_float_nchw(frames):
    import torch
    x = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(frames)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"frames must be (B, H, W, 3), got shape {tuple(x.shape)}")
    return x.permute(0, 3, 1, 2).float()


def _pair(pred, target):
    p, t = _as_float_nchw(pred), _as_float_nchw(target)
    if p.shape != t.shape:
        raise ValueError(f"prediction {tuple(p.shape)} and target {tuple(t.shape)} differ in shape")
    return p, t.to(p.device)


def psnr_per_frame(pred, target):
    """PSNR in dB of each frame (B,), data range 255; exact frames get PSNR_CAP."""
    from torchmetrics.functional.image import peak_signal_noise_ratio
    p, t = _pair(pred, target)
    if p.shape[0] == 0:
        return p.new_zeros(0)
    values = peak_signal_noise_ratio(p, t, data_range=255.0, reduction="none",
                                     dim=(1, 2, 3))
    return values.nan_to_num(PSNR_CAP, posinf=PSNR_CAP).clamp(max=PSNR_CAP)


def ssim_per_frame(pred, target):
    """SSIM of each frame (B,), data range 255, Gaussian window 11, sigma 1.5."""
    from torchmetrics.functional.image import structural_similarity_index_measure
    p, t = _pair(pred, target)
    if p.shape[0] == 0:
        return p.new_zeros(0)
    return structural_similarity_index_measure(p, t, data_range=255.0, reduction="none")


def _on(frames, device):
    import torch
    x = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(frames)
    return x if device is None else x.to(device)


def frame_metrics(pred, target, batch_size: int = 512, device=None) -> dict[str, float]:
    """{"psnr": mean dB, "ssim": mean, "mse": mean squared error per pixel value, "frames": n}.
    device: where to compute (a GPU is ~100x faster for SSIM); None: where the frames are."""
    import torch
    n = len(pred)
    psnr, ssim, sq = [], [], 0.0
    for i in range(0, n, batch_size):
        p, t = _on(pred[i:i + batch_size], device), _on(target[i:i + batch_size], device)
        psnr.append(psnr_per_frame(p, t))
        ssim.append(ssim_per_frame(p, t))
        a, b = _pair(p, t)
        sq += float(((a - b) ** 2).sum())
    if n == 0:
        return {"psnr": float("nan"), "ssim": float("nan"), "mse": float("nan"), "frames": 0}
    return {"psnr": float(torch.cat(psnr).mean()), "ssim": float(torch.cat(ssim).mean()),
            "mse": sq / (n * _pair(pred[:1], target[:1])[0][0].numel()), "frames": n}


def copy_baseline(frames, episode_ends=None, device=None) -> dict[str, float]:
    """Score 'the next frame equals the current one' on consecutive frames of whole episodes.

    frames: (T, H, W, 3) of one or more episodes laid end to end; episode_ends: the exclusive
    end index of each episode (None: one episode). Pairs never cross an episode boundary.
    """
    import numpy as np
    ends = [len(frames)] if episode_ends is None else [int(e) for e in episode_ends]
    current, following = [], []
    start = 0
    for end in ends:
        if end - start >= 2:
            current.append(np.arange(start, end - 1))
            following.append(np.arange(start + 1, end))
        start = end
    if not current:
        return frame_metrics(frames[:0], frames[:0])
    i, j = np.concatenate(current), np.concatenate(following)
    return frame_metrics(frames[i], frames[j], device=device)


def codebook_usage(ids, codebook_size: int) -> dict[str, float]:
    """Perplexity of the token distribution (exp of its entropy; at most codebook_size), the
    codes used at least once, and the share of dead codes (never used) in `ids`."""
    import numpy as np
    ids = ids.cpu().numpy() if hasattr(ids, "cpu") else np.asarray(ids)
    counts = np.bincount(ids.reshape(-1).astype(np.int64), minlength=codebook_size)
    total = counts.sum()
    if total == 0:
        return {"perplexity": float("nan"), "used": 0, "dead_share": float("nan")}
    p = counts[counts > 0] / total
    used = int((counts > 0).sum())
    return {"perplexity": float(math.exp(-(p * np.log(p)).sum())), "used": used,
            "dead_share": 1.0 - used / codebook_size}


def grey_span(images):
    """How far the grey level varies in each pixel's 3x3 neighbourhood (max - min), (B, 1, H,
    W), for images (B, C, H, W) on any scale: glyph strokes and borders span far, flat
    background not at all. `detail_mask` and the tokenizer's `--detail-weight` both read it."""
    import torch
    grey = images.float().mean(1, keepdim=True)
    high = torch.nn.functional.max_pool2d(grey, 3, stride=1, padding=1)
    low = -torch.nn.functional.max_pool2d(-grey, 3, stride=1, padding=1)
    return high - low


def detail_mask(frames, contrast: int):
    """Pixels (B, H, W) whose 3x3 neighbourhood spans more than `contrast` grey levels."""
    import torch
    return (grey_span(torch.from_numpy(frames).permute(0, 3, 1, 2)) > contrast)[:, 0].numpy()


def detail_psnr(a, b, mask) -> float:
    """PSNR pooled over the pixels of `mask` in all frames (a frame's detail can be a handful of
    pixels: a per-frame figure would be noise)."""
    import numpy as np

    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2)[mask].mean()
    return float(PSNR_CAP if mse == 0 else 10 * np.log10(255.0 ** 2 / mse))
