"""`rig bench tokenizer`: encode and decode speed of the image tokenizer, frames per second.

Times `ImageTokenizer.encode` (uint8 frames -> token ids) and `decode` (ids -> uint8 frames) at
batch 64, including the host<->device copies, on CPU and, when one is present, on the GPU.
By default it times the shipped Crafter tokenizer (`pretrained/crafter-tokenizer`: what
`rig data tokenize` and the policy run); `--tokenizer ''` times an untrained one of the default
shape (`TokenizerConfig()`). Figures, not a pass/fail test (noisy on shared machines).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from rig.config import option, require
from rig.imagination.tokenizer import CRAFTER_TOKENIZER


@dataclass
class BenchTokenizerConfig:
    tokenizer: str = option(str(CRAFTER_TOKENIZER), "tokenizer checkpoint folder (the shipped "
                            "Crafter tokenizer by default; empty: an untrained one of the "
                            "default shape)")
    batch_size: int = option(64, "frames per encode/decode call")
    rounds: int = option(5, "timed calls per measurement (the median is reported)")
    devices: str = option("auto", "cpu | cuda | auto (cpu, and cuda when available)",
                          choices=["auto", "cpu", "cuda"])
    threads: int = option(0, "torch CPU threads (0: torch's default)")

    def validate(self) -> None:
        require(self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}")
        require(self.rounds >= 1, f"--rounds must be at least 1, got {self.rounds}")


def _time(fn, rounds: int, sync) -> float:
    fn()
    sync()   # warm-up call (allocations, kernel selection)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_tokenizer(config: BenchTokenizerConfig) -> int:
    import numpy as np
    import torch

    from rig.config import ConfigError
    from rig.imagination.tokenizer import ImageTokenizer, TokenizerConfig
    if config.threads:
        torch.set_num_threads(config.threads)
    devices = ["cpu"] if config.devices == "cpu" else []
    if config.devices in ("auto", "cuda"):
        if torch.cuda.is_available():
            devices = (["cpu"] if config.devices == "auto" else []) + ["cuda"]
        elif config.devices == "cuda":
            raise ConfigError("--devices cuda: no CUDA device is available here")
        else:
            devices = ["cpu"]
    if config.tokenizer:
        tokenizer = ImageTokenizer.from_pretrained(config.tokenizer)
    else:
        tokenizer = ImageTokenizer(TokenizerConfig())
    cfg = tokenizer.config
    b = config.batch_size
    frames = np.random.default_rng(0).integers(0, 256, (b, *cfg.frame_shape, 3), dtype=np.uint8)
    print(f"tokenizer: {cfg.grid_shape[0]}x{cfg.grid_shape[1]} tokens, codebook {cfg.codebook_size}, "
          f"{tokenizer.num_parameters() / 1e6:.2f}M parameters "
          f"({config.tokenizer or 'untrained, default shape'}); batch {b}, median of "
          f"{config.rounds}, numpy in and out")
    for device in devices:
        tokenizer.to(device)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        name = torch.cuda.get_device_name() if device == "cuda" else \
            f"cpu, {torch.get_num_threads()} threads"
        ids = tokenizer.encode(frames)
        enc = _time(lambda: tokenizer.encode(frames, b), config.rounds, sync)
        dec = _time(lambda: tokenizer.decode(ids, b), config.rounds, sync)
        print(f"  {device:4s} ({name}): encode {b / enc:9.0f} frames/s   decode "
              f"{b / dec:9.0f} frames/s")
    return 0
