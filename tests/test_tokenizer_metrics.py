"""Metrics of imagination: PSNR/SSIM per frame, the copy-current-frame baseline, codebook use."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torchmetrics")

from rig.imagination.metrics import (PSNR_CAP, codebook_usage, copy_baseline,  # noqa: E402
                                     frame_metrics, psnr_per_frame, ssim_per_frame)


def test_psnr_known_values():
    a = np.zeros((2, 8, 8, 3), np.uint8)
    b = a.copy()
    b[1] += 10                                   # MSE 100 on the second frame only
    psnr = psnr_per_frame(b, a).numpy()
    assert psnr[0] == PSNR_CAP
    assert psnr[1] == pytest.approx(10 * math.log10(255 ** 2 / 100), abs=1e-4)
    m = frame_metrics(b, a)
    assert m["frames"] == 2 and m["mse"] == pytest.approx(50.0)
    assert m["psnr"] == pytest.approx((PSNR_CAP + psnr[1]) / 2, abs=1e-4)


def test_ssim_identical_and_different():
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 32).astype(np.uint8)
    a = np.broadcast_to(ramp[None, :, None, None], (3, 32, 32, 3)).copy()
    assert ssim_per_frame(a, a).numpy() == pytest.approx([1, 1, 1], abs=1e-5)
    scores = []
    for amount in (5, 40):
        noisy = np.clip(a.astype(int) + rng.integers(-amount, amount + 1, a.shape), 0, 255)
        scores.append(float(ssim_per_frame(noisy.astype(np.uint8), a).mean()))
    assert 1 > scores[0] > scores[1] and scores[1] < 0.5


def test_batching_does_not_change_metrics():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    one, small = frame_metrics(a, b), frame_metrics(a, b, batch_size=2)
    assert one == pytest.approx(small)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        frame_metrics(np.zeros((1, 8, 8, 3), np.uint8), np.zeros((1, 8, 9, 3), np.uint8))


def test_copy_baseline_never_crosses_episodes():
    frames = np.zeros((5, 8, 8, 3), np.uint8)
    frames[3:] = 200                             # episode 2 = frames 3, 4 (a different scene)
    m = copy_baseline(frames, episode_ends=[3, 5])
    assert m["frames"] == 3 and m["psnr"] == PSNR_CAP   # pairs (0,1), (1,2), (3,4) only
    assert copy_baseline(frames)["psnr"] < PSNR_CAP     # as one episode the cut counts
    assert copy_baseline(frames[:1])["frames"] == 0


def test_codebook_usage():
    uniform = codebook_usage(np.arange(8).repeat(10), 8)
    assert uniform["perplexity"] == pytest.approx(8) and uniform["dead_share"] == 0
    half = codebook_usage(np.array([[0, 1], [2, 3]]), 8)
    assert half["perplexity"] == pytest.approx(4) and half["used"] == 4
    assert half["dead_share"] == pytest.approx(0.5)
