"""`rig train tokenizer`: fit the VQ image tokenizer on a trajectory store's frames.

Role in the data flow: reads the frames of a store (`rig collect`), trains an `ImageTokenizer`
(diffusers VQModel) and writes its checkpoint folder, which `rig data tokenize`, `rig eval
tokenizer` and the policy load with `ImageTokenizer.from_pretrained`.

Split: episodes whose seed is >= --holdout-seed are held out (validation here, `rig eval
tokenizer` later); the rest train. Loss: MSE on pixels in [-1, 1] (what PSNR measures) plus the
VQ loss (codebook term + 0.25 x commitment). Codes unused over --restart-every steps are
re-seeded from encoder outputs of the current batch (dead-code restart), until 80% of the steps.

Resume: OUT always holds a loadable tokenizer plus `train_state.safetensors` (AdamW moments,
flattened: nothing is pickled) and `train_state.json` (step, wall time, history), each file
replaced atomically. Running the same command again continues from the last checkpoint; a run
stopped by --time-limit is continued the same way.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from rig.config import RigError, option, pick_device, require
from rig.imagination.tokenizer import TokenizerConfig

from .train_policy import learning_rate

STATE_JSON, STATE_TENSORS = "train_state.json", "train_state.safetensors"


@dataclass
class TrainTokenizerConfig(TokenizerConfig):
    data: str = option("data/crafter-expert.zarr", "trajectory store whose frames to train on")
    out: str = option("runs/tokenizer", "checkpoint folder (created; resumed when it holds a run)")
    steps: int = option(4000, "optimizer steps in all (a resumed run continues up to this)")
    batch_size: int = option(64, "frames per step")
    crop: int = option(0, "train on random CROPxCROP windows of the network input, at token-"
                       "aligned offsets (a multiple of the downsampling factor). The network is "
                       "convolutional, so it then runs on whole frames: crops make a full-"
                       "resolution screenshot tokenizer affordable on a CPU. 0: whole frames")
    detail_weight: float = option(0.0, "extra loss weight on detail pixels (3x3 neighbourhood "
                                  "spanning over a quarter of the value range: glyph strokes, "
                                  "borders): 4 weighs them 5x. Screenshots are mostly flat "
                                  "background, which plain MSE spends the network on; 0: off")
    lr: float = option(1e-3, "peak AdamW learning rate (warmup 200 steps, cosine decay to a "
                       "tenth, as rig train policy)")
    weight_decay: float = option(0.0, "AdamW weight decay")
    holdout_seed: int = option(1000, "episodes with seed >= this are held out (validation)")
    max_frames: int = option(400_000, "at most this many training frames are loaded (evenly "
                             "spaced) into memory")
    val_frames: int = option(2048, "held-out frames scored at each validation")
    val_every: int = option(1000, "validate every N steps")
    checkpoint_every: int = option(1000, "save a checkpoint every N steps")
    restart_every: int = option(200, "re-seed codes unused over the last N steps (0: never)")
    time_limit: float = option(0.0, "stop (with a checkpoint) after this many minutes of this "
                               "run; 0: no limit. Run again to continue")
    device: str = option("auto", "cpu, cuda, cuda:N, or auto (cuda when available)")
    precision: str = option("auto", "bf16 (autocast, GPU) | fp32 | auto (bf16 on GPU, fp32 on "
                            "CPU, which has no fast bf16)", choices=["auto", "bf16", "fp32"])
    threads: int = option(0, "torch CPU threads (0: torch's default)")
    seed: int = option(0, "seed of the initial weights and of batch sampling")

    def validate(self) -> None:
        TokenizerConfig.validate(self)
        require(self.steps >= 1, f"--steps must be at least 1, got {self.steps}")
        require(self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}")
        require(self.lr > 0, f"--lr must be positive, got {self.lr}")
        require(self.detail_weight >= 0, f"--detail-weight must be 0 or more, got "
                f"{self.detail_weight}")
        require(self.val_every >= 1 and self.checkpoint_every >= 1,
                "--val-every and --checkpoint-every must be at least 1")
        require(self.val_frames >= 1 and self.max_frames >= 1,
                "--val-frames and --max-frames must be at least 1")
        factor = self.factor
        require(self.crop >= 0 and self.crop % factor == 0,
                f"--crop must be 0 or a multiple of the downsampling factor {factor}, got "
                f"{self.crop}")
        require(self.crop <= min(self.input_shape), f"--crop {self.crop} is larger than the "
                f"network input {self.input_shape[0]}x{self.input_shape[1]}")
        require(not (self.crop and self.mid_attention), "--crop needs a purely convolutional "
                "network: self-attention in the middle block would see a different extent in "
                "training than on whole frames (drop --mid-attention)")
        require(self.device == "auto" or self.device.split(":")[0] in ("cpu", "cuda"),
                f"--device must be cpu, cuda, cuda:N or auto, got {self.device!r}")

    def tokenizer_config(self) -> TokenizerConfig:
        names = [f.name for f in dataclasses.fields(TokenizerConfig)]
        return TokenizerConfig(**{n: getattr(self, n) for n in names})


def load_split_frames(path, holdout_seed: int, max_train: int, max_val: int):
    """(train frames, held-out frames) uint8 (N, H, W, 3), split by episode seed, with tqdm."""
    import numpy as np
    from tqdm import tqdm

    from rig.trajectories.store import TrajectoryStore
    store = TrajectoryStore.open(path, "r")
    try:
        if store.num_steps == 0:
            raise RigError(f"{path} holds no steps: collect episodes with `rig collect` first")
        seeds = store.read_meta("seed")
        ends = store.episode_ends()
        starts = np.concatenate([[0], ends[:-1]])
        parts = {"train": [], "val": []}
        for name, keep in (("train", seeds < holdout_seed), ("val", seeds >= holdout_seed)):
            ranges = [(int(a), int(b)) for a, b, k in zip(starts, ends, keep) if k]
            total = sum(b - a for a, b in ranges)
            cap = max_train if name == "train" else max_val
            stride = max(1, math.ceil(total / cap))
            for a, b in tqdm(ranges, desc=f"loading {name} frames", unit="episode",
                             leave=False, disable=not ranges):
                parts[name].append(store.read("image", a, b)[::stride])
        train = np.concatenate(parts["train"]) if parts["train"] else None
        val = np.concatenate(parts["val"]) if parts["val"] else None
    finally:
        store.close()
    if train is None:
        raise RigError(f"{path}: no episode has seed < --holdout-seed {holdout_seed}: nothing "
                       f"to train on")
    if val is None:
        raise RigError(f"{path}: no episode has seed >= --holdout-seed {holdout_seed}: collect "
                       f"held-out episodes (e.g. `rig collect --seed {holdout_seed}`)")
    return train, val[:: max(1, math.ceil(len(val) / max_val))]


# -- training state (AdamW moments flattened into safetensors: no pickle) ----------------------
def _save_state(out: Path, optimizer, info: dict) -> None:
    from safetensors.torch import save_file
    tensors = {}
    for i, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"{i}.{key}"] = value.detach().cpu().contiguous().reshape(value.shape)
    save_file(tensors, out / (STATE_TENSORS + ".tmp"))
    os.replace(out / (STATE_TENSORS + ".tmp"), out / STATE_TENSORS)
    (out / (STATE_JSON + ".tmp")).write_text(json.dumps(info, indent=1) + "\n")
    os.replace(out / (STATE_JSON + ".tmp"), out / STATE_JSON)   # the commit


def _load_state(out: Path, optimizer, device) -> None:
    from safetensors.torch import load_file
    tensors = load_file(out / STATE_TENSORS, device=str(device))
    state = optimizer.state_dict()
    per_param: dict[int, dict] = {}
    for name, value in tensors.items():
        i, key = name.split(".", 1)
        # AdamW keeps its step counts on the CPU unless capturable; the moments go to the device
        per_param.setdefault(int(i), {})[key] = value.cpu() if key == "step" else value
    state["state"] = per_param
    optimizer.load_state_dict(state)


def _save_checkpoint(tokenizer, optimizer, out: Path, info: dict) -> None:
    """Weights first (each file replaced atomically), train_state.json last."""
    import shutil
    tmp = out / ".saving"
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer.save_pretrained(tmp, extra={"trained": {k: info[k] for k in
                                                      ("step", "data", "last_val")}})
    for file in tmp.iterdir():
        os.replace(file, out / file.name)
    tmp.rmdir()
    _save_state(out, optimizer, info)


def validate_tokenizer(tokenizer, frames, batch_size: int = 256) -> dict:
    from rig.imagination.metrics import codebook_usage, frame_metrics
    was_training = tokenizer.vq.training
    tokenizer.vq.eval()
    ids = tokenizer.encode(frames, batch_size)
    recon = tokenizer.decode(ids, batch_size)
    tokenizer.vq.train(was_training)
    result = frame_metrics(recon, frames, device=tokenizer.device)
    result.update(codebook_usage(ids, tokenizer.codebook_size))
    return result


def random_crops(x, size: int, step: int, gen):
    """One random size x size window of each image in x (B, C, H, W), at offsets that are
    multiples of `step` (so a crop's tokens sit where the whole frame's tokens sit)."""
    import torch
    rows = (x.shape[2] - size) // step + 1
    cols = (x.shape[3] - size) // step + 1
    oy = torch.randint(rows, (len(x),), device=x.device, generator=gen) * step
    ox = torch.randint(cols, (len(x),), device=x.device, generator=gen) * step
    return torch.stack([x[i, :, y:y + size, c:c + size]
                        for i, (y, c) in enumerate(zip(oy.tolist(), ox.tolist()))])


def detail_weights(x, weight: float, contrast: float = 0.5):
    """Per-pixel loss weights (B, 1, H, W) for inputs x in [-1, 1]: 1 + weight where the grey
    level's 3x3 neighbourhood spans more than `contrast` (as `rig eval resolution` counts detail
    pixels: 64 of 255 grey levels), normalised to mean 1 so the loss keeps its scale."""
    from rig.imagination.metrics import grey_span
    weights = 1 + weight * (grey_span(x) > contrast).float()
    return weights / weights.mean()


def train_tokenizer(config: TrainTokenizerConfig) -> int:
    import torch
    from tqdm import tqdm

    from rig.imagination.tokenizer import ImageTokenizer, read_config
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device(pick_device(config.device))
    bf16 = config.precision == "bf16" or (config.precision == "auto" and device.type == "cuda")
    out = Path(config.out)
    resuming = (out / STATE_JSON).is_file()
    if out.exists() and not resuming and any(p.name != ".saving" for p in out.iterdir()):
        raise RigError(f"{out} exists and holds no training run; choose another --out")
    shape = config.tokenizer_config()
    if resuming and read_config(out) != shape:
        raise RigError(f"{out} holds a run with a different tokenizer shape "
                       f"({read_config(out)}); use another --out or the same options")

    train, val = load_split_frames(config.data, config.holdout_seed, config.max_frames,
                                   config.val_frames)
    if train.shape[1:] != (*config.frame_shape, 3):
        raise RigError(f"{config.data} holds frames of shape {train.shape[1:]}; this tokenizer "
                       f"takes {(*config.frame_shape, 3)}: set --image-size (and --image-height "
                       "for frames that are not square)")
    torch.manual_seed(config.seed)
    if resuming:
        tokenizer = ImageTokenizer.from_pretrained(out, device=str(device))
        info = json.loads((out / STATE_JSON).read_text())
    else:
        tokenizer = ImageTokenizer(shape, device=str(device))
        info = {"step": 0, "wall_seconds": 0.0, "history": [], "last_val": None}
    info["data"] = str(config.data)
    info["options"] = {k: v for k, v in dataclasses.asdict(config).items()}
    vq = tokenizer.vq
    vq.train()
    vq.quantize.legacy = False   # standard VQ-VAE loss: codebook + beta * commitment
    optimizer = torch.optim.AdamW(vq.parameters(), lr=config.lr, betas=(0.9, 0.99),
                                  weight_decay=config.weight_decay)
    if resuming:
        _load_state(out, optimizer, device)
    out.mkdir(parents=True, exist_ok=True)
    frames = torch.from_numpy(train).to(device)   # uint8; ~12 KB a frame
    gen = torch.Generator(device=device).manual_seed(config.seed * 1_000_003 + info["step"])
    usage = torch.zeros(config.codebook_size, device=device)
    print(f"tokenizer: {tokenizer.num_parameters() / 1e6:.2f}M parameters, "
          f"{shape.grid_shape[0]}x{shape.grid_shape[1]} tokens, {config.codebook_size} codes; "
          f"{len(train)} training frames, {len(val)} held-out frames; device {device}"
          f"{' (bf16 autocast)' if bf16 else ''}" + (f"; resuming at step {info['step']}"
                                                     if resuming else ""))

    # the policy's and bc's schedule (one definition): 200 warmup steps, cosine to a tenth
    schedule = SimpleNamespace(lr=config.lr, warmup=200, steps=config.steps, max_minutes=0)

    def lr_at(step: int) -> float:
        return learning_rate(step, schedule)

    def checkpoint(val_result=None):
        if val_result is not None:
            info["last_val"] = val_result
            info["history"].append({"step": info["step"], **val_result})
        info["wall_seconds"] = wall0 + time.perf_counter() - t0
        _save_checkpoint(tokenizer, optimizer, out, info)

    def validate(at: int) -> dict:
        result = validate_tokenizer(tokenizer, val)
        bar.write(f"step {at}: held-out PSNR {result['psnr']:.2f} dB, SSIM {result['ssim']:.4f}, "
                  f"perplexity {result['perplexity']:.0f}, dead codes "
                  f"{100 * result['dead_share']:.1f}%")
        return result

    start, wall0, t0 = info["step"], info["wall_seconds"], time.perf_counter()
    bar = tqdm(total=config.steps, initial=start, desc="train tokenizer", unit="step")
    step, loss_avg, interrupted = start, None, False
    try:
        while step < config.steps:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
            idx = torch.randint(len(frames), (config.batch_size,), device=device, generator=gen)
            x = tokenizer.frames_to_input(frames[idx])
            if config.crop:
                x = random_crops(x, config.crop, shape.factor, gen)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                h = vq.quant_conv(vq.encoder(x))
            zq, vq_loss, (_, _, ids) = vq.quantize(h.float())
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                recon = vq.decoder(vq.post_quant_conv(zq))
            squared = (recon.float() - x) ** 2
            rec_loss = squared.mean()   # what the progress bar's PSNR reads
            fit = (squared * detail_weights(x, config.detail_weight)).mean() \
                if config.detail_weight else rec_loss
            loss = fit + vq_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            usage += torch.bincount(ids.reshape(-1), minlength=config.codebook_size)
            if config.restart_every and step % config.restart_every == 0:
                dead = usage == 0
                if dead.any() and step < 0.8 * config.steps:
                    z = h.detach().float().permute(0, 2, 3, 1).reshape(-1, config.code_dim)
                    pick = torch.randint(len(z), (int(dead.sum()),), device=device, generator=gen)
                    with torch.no_grad():
                        vq.quantize.embedding.weight[dead] = z[pick]
                usage.zero_()
            info["step"] = step
            if step % 20 == 0 or step == config.steps:
                value = float(rec_loss.detach())
                loss_avg = value if loss_avg is None else 0.9 * loss_avg + 0.1 * value
                psnr = 10 * math.log10(4 / max(loss_avg, 1e-12))   # pixels span 2: peak^2 = 4
                bar.set_postfix(mse=f"{loss_avg:.5f}", psnr=f"{psnr:.1f}")
            bar.update(1)
            val_result = None
            if step % config.val_every == 0 or step == config.steps:
                val_result = validate(step)
            if val_result is not None or step % config.checkpoint_every == 0:
                checkpoint(val_result)
            if (config.time_limit and step < config.steps
                    and time.perf_counter() - t0 > 60 * config.time_limit):
                interrupted = True
                if val_result is None:
                    checkpoint(validate(step))
                break
    except KeyboardInterrupt:
        bar.close()
        checkpoint()
        print(f"interrupted at step {step}: checkpoint saved in {out}; run again to resume")
        raise
    bar.close()
    checkpoint()
    minutes = info["wall_seconds"] / 60
    if interrupted:
        print(f"time limit reached at step {step}/{config.steps} ({minutes:.1f} min in all): "
              f"checkpoint in {out}; run the same command again to continue")
    else:
        last = info["last_val"] or {}
        print(f"done: {step} steps in {minutes:.1f} min of training wall time; held-out PSNR "
              f"{last.get('psnr', float('nan')):.2f} dB, SSIM {last.get('ssim', float('nan')):.4f}"
              f"; tokenizer saved in {out}")
    return 0
