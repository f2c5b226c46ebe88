"""`rig train policy`: next-token training of the RIG transformer on trajectory stores.

Role in the data flow: stores (with `image_tokens` from `rig data tokenize`) -> windows
(`TrajectoryDataset`) -> token streams (`SequenceBuilder`) -> weighted next-token loss -> a
checkpoint folder that `--agent rig:DIR` plays. The loss has a weight per segment (reasoning,
action, imagined frame); `--no-reasoning` / `--no-imagination` give the RIG ablations.

Runs on CPU (fp32) or GPU (bf16 autocast), one process or many through `accelerate launch`.
Exact resume: the batch of step s is drawn from a generator seeded by (seed, s), so after a kill
the run continues from its newest checkpoint with the same batches and the same loss curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require

SEGMENT_WEIGHT_NAMES = ("reasoning", "action", "imagination", "review")


@dataclass
class PolicyTrainConfig:
    data: list[str] = option(None, "trajectory stores to train on (tokenized with `rig data "
                             "tokenize`)", positional=True)
    mix: list[float] = option(None, "share of the samples drawn from each store, in the order "
                              "of the stores (a generalist on two worlds: 0.5 0.5); none: in "
                              "proportion to the stores' sizes", factory=list)
    out: str = option("runs/policy", "output folder: checkpoints/, final/, tensorboard/")
    preset: str = option("tiny", "model size: micro | tiny | small | base | large")
    init_from: str | None = option(None, "start from a local Hugging Face causal-LM folder "
                                   "(its vocabulary is extended with action and image tokens), "
                                   "or fine-tune a RIG policy folder (its vocabulary is kept)")
    steps: int = option(2000, "optimizer steps")
    batch_size: int = option(8, "sequences per step (across all processes)")
    lr: float = option(1e-3, "peak learning rate (AdamW, warmup then cosine decay)")
    warmup: int = option(100, "warmup steps")
    weight_decay: float = option(0.05, "AdamW weight decay")
    context_steps: int = option(2, "episode steps per sequence (the last one is current)")
    history_actions: int = option(0, "past actions listed in each step's <hist> (0: none; "
                                  "listing them made every policy copy its own previous moves "
                                  "in play: 3.8%% against 15.0%% without, docs/policy.md "
                                  "entry 5)")
    plan_actions: int = option(0, "actions written after each step's own: the ones the teacher "
                               "took next (`<act> a_t a_t+1 ...`), a plan the policy learns to "
                               "state, which play and eval may follow (--follow-plan); the "
                               "teacher holds a heading or target for many steps that one "
                               "frame does not show. In DAgger/DART stores: the teacher's "
                               "labels, up to where the episode left its path. Measured: "
                               "worse than none at 4 and 8 (docs/policy.md entry 23)")
    text_tokens: int = option(64, "observation-text tokens kept per step (vitals and inventory; "
                              "0: the frame alone, which shows them too: about 44 fewer "
                              "tokens a Crafter step, 1.5x the samples per CPU minute, but "
                              "it learned less from them: docs/policy.md, entry 4)")
    reasoning: bool = option(True, "train on reasoning (--no-reasoning: ablation)")
    imagination: bool = option(True, "train on the imagined next frame (--no-imagination)")
    imagine_rate: float = option(1.0, "share of training samples that keep their imagined frame "
                                 "(the rest end at the action: cheaper steps, and the policy "
                                 "learns to act with or without imagining)")
    reason_rate: float = option(1.0, "share of training batches that keep the teacher's "
                                "reasoning; the rest go from the observation straight to the "
                                "action, so the action also learns from the frame itself (and "
                                "those samples are shorter). Acting always writes reasoning")
    image_input: str = option("tokens", "how the model sees frames: tokens (the same VQ image "
                              "tokens it imagines in) | patches (a separate patch encoder, one "
                              "input per 7x7 tile) | cnn (the bc baseline's convolutions pooled "
                              "to 4x4: 16 inputs a frame, the cheapest on a CPU); see "
                              "docs/policy.md for the measurements")
    patch_size: int = option(7, "pixels per square patch of the patch encoder")
    eye_tokens: int = option(0, "cnn eye: project the whole conv map to this many inputs a "
                             "frame, as the bc baseline's head reads it (0: one input per cell "
                             "of the 4x4 map, 16 a frame); fewer tokens, cheaper steps")
    eye_from: str | None = option(None, "start the cnn eye from a bc baseline's convolutions "
                                  "(`rig train bc` OUT: perception learned by the cheap CNN; "
                                  "count its minutes in the budget). New runs only")
    anchor_imagination: bool = option(True, "give each step's <imagine> a fixed position "
                                      "distance from its <obs>, so that imagining can copy and "
                                      "shift observed tiles by one fixed offset "
                                      "(--no-anchor-imagination: contiguous positions)")
    imagine_from_frame: bool = option(False, "restate the observed frame's image codes just "
                                      "before <imagine> (`<act> a <obs> codes <imagine> next`):"
                                      " an eye policy (--image-input cnn or patches) otherwise "
                                      "never sees the codes it imagines in, so it cannot copy "
                                      "the tiles that stay or shift them when it moves. Costs "
                                      "N+1 input tokens in samples that imagine only; acting "
                                      "encodes the frame only when it imagines")
    grid_embedding: bool = option(True, "add a learned (row, column) embedding to every image "
                                  "token, so the model reads where a tile is from the tile "
                                  "itself (--no-grid-embedding: positions only)")
    review_steps: int = option(1, "imagined steps of each review example before its verdict: "
                               "train the reviewer at the lookahead it will judge at (a review "
                               "store needs `rig data review --horizon` of at least this + 1)")
    review_words: bool = option(True, "review examples write their reasons before the verdict "
                                "(--no-review-words: the verdict alone, straight after the "
                                "imagined outcome, so that a judge's P(accept) is the "
                                "reviewer's reading of the outcome, not of the words it "
                                "happened to sample first)")
    verdict_target: str = option("label", "what a review example's verdict is trained toward: "
                                 "label (its stored accept or revise) or value (P(accept) "
                                 "regressed on the candidate's own outcome, (v + 1) / 2 for its "
                                 "reward over the branch, -1 for a death: a judge then ranks "
                                 "proposals by their expected outcome; needs --no-review-words)")
    weight_reasoning: float = option(1.0, "loss weight of reasoning tokens")
    weight_action: float = option(4.0, "loss weight of action tokens")
    weight_imagination: float = option(0.5, "loss weight of imagined image tokens")
    text_vocab: int = option(2000, "BPE text tokens to train (new runs only)")
    val_fraction: float = option(0.1, "share of seeds held out for validation")
    eval_every: int = option(200, "validate every this many steps")
    free_running: int = option(64, "held-out teacher states on which each validation lets the "
                               "policy write its own reasoning and act (agreement with the "
                               "teacher's action: val/free_action_agreement; with context "
                               "steps > 1 also val/free_action_agreement_own, its own earlier "
                               "reasoning in view as in play, by which best/ keeps the "
                               "checkpoint that scores highest); 0: off")
    play_every: int = option(0, "every this many steps, play the policy for --play-episodes "
                             "episodes of --play-steps steps in a worker process while "
                             "training goes on, and log its Crafter score (closed_loop.jsonl, "
                             "TensorBoard val/closed_loop_score); best-play/ keeps the "
                             "policy that scores highest. 0: off (on 2 cores the worker takes "
                             "the second core)")
    play_episodes: int = option(8, "episodes of each closed-loop check, played in lockstep")
    play_steps: int = option(300, "horizon of each closed-loop episode")
    play_seed: int = option(100000, "first seed of the closed-loop checks: the same seeds at "
                            "every check, away from collection and evaluation seeds")
    checkpoint_every: int = option(200, "save a resumable checkpoint every this many steps")
    keep_checkpoints: int = option(2, "newest checkpoints to keep")
    loader_workers: int = option(0, "processes that build batches ahead of the training step "
                                 "(for GPUs, where one process building batches bounds the "
                                 "run); batches stay a function of the step, so resume stays "
                                 "exact. 0: built in the training process (best on a CPU)")
    seed: int = option(0, "seed of initialisation and batch order")
    device: str = option("auto", "auto | cpu | cuda")
    threads: int = option(0, "CPU threads for torch (0: torch's default)")
    max_minutes: float = option(0.0, "a time budget: train for at most this many minutes, the "
                                "learning-rate schedule ending with whichever of --steps and "
                                "the minutes runs out first (0: steps only; exact resume needs 0)")

    def validate(self) -> None:
        require(bool(self.data), "name at least one trajectory store")
        require(self.free_running >= 0 and self.loader_workers >= 0,
                "--free-running and --loader-workers must be >= 0")
        require(self.play_every >= 0 and self.play_episodes >= 1 and self.play_steps >= 1,
                "--play-every must be >= 0, --play-episodes and --play-steps >= 1")
        for name in ("steps", "batch_size", "context_steps", "eval_every", "checkpoint_every",
                     "keep_checkpoints"):
            require(getattr(self, name) >= 1, f"--{name.replace('_', '-')} must be at least 1")
        require(self.history_actions >= 0 and self.warmup >= 0 and self.text_tokens >= 0
                and self.plan_actions >= 0, "counts must be >= 0")
        require(self.lr > 0, "--lr must be > 0")
        require(0.0 <= self.val_fraction < 1.0, "--val-fraction must be in [0, 1)")
        require(0.0 <= self.imagine_rate <= 1.0, "--imagine-rate must be in [0, 1]")
        require(0.0 <= self.reason_rate <= 1.0, "--reason-rate must be in [0, 1]")
        require(self.reason_rate == 1.0 or self.reasoning,
                "--reason-rate shares out the teacher's reasoning: it needs --reasoning")
        require(self.image_input in ("patches", "tokens", "cnn"),
                "--image-input must be tokens, patches or cnn")
        require(self.eye_tokens == 0 or self.image_input == "cnn",
                "--eye-tokens shapes the cnn eye: it needs --image-input cnn")
        require(self.eye_tokens >= 0, "--eye-tokens must be >= 0")
        require(not self.imagine_from_frame or self.image_input != "tokens",
                "--imagine-from-frame restates the frame's codes for an eye policy; with "
                "--image-input tokens they are already in view")
        require(not self.imagine_from_frame or self.imagination,
                "--imagine-from-frame shapes the imagined frame: it needs --imagination")
        require(self.eye_from is None or self.image_input == "cnn",
                "--eye-from gives the cnn eye its start: it needs --image-input cnn")
        require(self.patch_size >= 1 and self.max_minutes >= 0,
                "--patch-size must be >= 1 and --max-minutes >= 0")
        require(self.device in ("auto", "cpu", "cuda"), "--device must be auto, cpu or cuda")
        from rig.policy.model import PRESETS

        require(self.review_steps >= 1, "--review-steps must be at least 1")
        require(self.verdict_target in ("label", "value"),
                f"--verdict-target must be label or value, not {self.verdict_target!r}")
        require(self.verdict_target == "label" or not self.review_words,
                "--verdict-target value trains the verdict a judge reads straight after the "
                "imagined outcome: add --no-review-words (with words first, sampled words "
                "would decide P(accept))")
        require(self.preset in PRESETS or self.init_from is not None,
                f"unknown preset {self.preset!r}; presets: {', '.join(PRESETS)}")
        for store in self.data:
            require(Path(store).exists(), f"no trajectory store at {store!r}")
        require(not self.mix or (len(self.mix) == len(self.data) and min(self.mix) >= 0
                                 and sum(self.mix) > 0),
                f"--mix needs one non-negative share per store ({len(self.data)}), not all "
                f"zero; got {self.mix}")

    def segment_weights(self) -> dict[str, float]:
        return {"reasoning": self.weight_reasoning, "action": self.weight_action,
                "imagination": self.weight_imagination, "review": self.weight_reasoning}


def run_layout(config: PolicyTrainConfig, frame_shape: tuple[int, int],
               image_codecs: list[dict] = (), vocab_size: int = 0, init_meta: dict | None = None):
    """(SequenceConfig, ModelConfig) of a run: a pure function of the training config, the
    stores' frame shape (the patch grid follows the frames) and image codecs (one per image
    tokenizer, in vocabulary order; none yet: the layout that reading windows needs), the
    vocabulary size and, for a fine-tune of a RIG policy, its rig_policy.json (a fine-tune
    keeps the layout its model was trained with)."""
    from rig.policy.model import ModelConfig
    from rig.policy.sequence import SequenceConfig

    height, width = frame_shape
    size = config.patch_size
    model = ModelConfig(preset=config.preset, image_input=config.image_input, patch_size=size,
                        patch_rows=height // size, patch_cols=width // size,
                        vocab_size=vocab_size, cnn_tokens=config.eye_tokens)
    sequence = SequenceConfig(context_steps=config.context_steps,
                              history_actions=config.history_actions,
                              max_text_tokens=config.text_tokens, reasoning=config.reasoning,
                              imagination=config.imagination,
                              patches=model.patches,
                              imagine_from_frame=config.imagine_from_frame,
                              review_steps=config.review_steps,
                              review_words=config.review_words,
                              plan_actions=config.plan_actions)
    # where image tokens sit (docs/policy.md): the anchor of <imagine>, the tile embedding;
    # one grid per image tokenizer (a generalist's worlds differ)
    grids = [[int(c["codebook_size"]), *(int(n) for n in c.get("grid") or (0, 0))]
             for c in image_codecs]
    if not grids:
        return sequence, model
    sequence.image_grids = grids
    if config.anchor_imagination and sequence.imagination:
        sequence.image_anchor = sequence.anchor_for(max(r * c for _, r, c in grids))
    if config.grid_embedding:
        model.image_grid = sum(r * c for _, r, c in grids)
    if init_meta is not None:
        model.image_grid = int(init_meta["model"].get("image_grid", 0))
        sequence.image_anchor = int(init_meta["sequence"].get("image_anchor", 0))
        sequence.image_grids = list(init_meta["sequence"].get("image_grids") or [])
        sequence.imagine_from_frame = config.imagine_from_frame or bool(
            init_meta["sequence"].get("imagine_from_frame", False))
    # big frames (a 53x40 screen tokenizer) need more positions than the default; a sample
    # longer than the model would be cut at the left, losing its observed frame
    model.fit_positions(sequence.positions_needed(max(r * c for _, r, c in grids)))
    return sequence, model


def learning_rate(step: int, config, minutes: float = 0.0, floor: float = 0.1) -> float:
    """Linear warmup, then cosine decay to `floor` of the peak (a tenth); with a time budget
    the decay follows whichever of steps and minutes is further along. `config` has lr,
    warmup, steps and max_minutes (`rig train policy`'s, `rig train bc`'s)."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    if config.max_minutes:
        progress = max(progress, minutes / config.max_minutes)
    return config.lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def loss_positions(input_ids, segments, attention_mask, weights_by_segment):
    """(keep, weights): `keep` (B x T, bool) marks the positions whose next token carries loss
    weight, `weights` (B x T-1) that weight per target. Training asks the model for logits at
    `keep` only: most positions (the observed frame, its text, structure) are inputs, and over
    a small model's vocabulary the LM head is a large share of the work."""
    import torch

    from rig.policy.grammar import SEGMENT_NAMES

    table = torch.zeros(len(SEGMENT_NAMES), device=input_ids.device)
    for name, weight in weights_by_segment.items():
        table[SEGMENT_NAMES.index(name)] = weight
    weights = table[segments[:, 1:]] * attention_mask[:, 1:].bool()
    keep = torch.zeros_like(input_ids, dtype=torch.bool)
    keep[:, :-1] = weights > 0
    return keep, weights


def weighted_loss(logits, input_ids, segments, attention_mask, weights_by_segment,
                  verdicts=None):
    """Next-token cross-entropy weighted per target segment; also per-segment means and the
    action accuracy (argmax at action targets). `logits` are the model's over the whole
    sequence (B x T x V) or, as training computes them, only at `loss_positions`'s `keep`
    (N x V, in reading order): the same loss either way.

    `verdicts` (accept id, revise id, shares: B floats, NaN for none) makes a row's review
    verdict a soft target: -(s log P(accept) + (1 - s) log P(revise)) in place of the stored
    token's cross-entropy (`--verdict-target value`)."""
    import torch
    import torch.nn.functional as F

    from rig.policy.grammar import ACTION, SEGMENT_NAMES

    keep, weights = loss_positions(input_ids, segments, attention_mask, weights_by_segment)
    if logits.dim() == 3:
        logits = logits[keep]
    logits = logits.float()
    targeted = keep[:, :-1]
    targets, target_segments = input_ids[:, 1:][targeted], segments[:, 1:][targeted]
    token_loss = F.cross_entropy(logits, targets, reduction="none")
    metrics = {}
    if verdicts is not None:
        from rig.policy.grammar import REVIEW

        accept, revise, shares = verdicts
        share = shares.to(logits.device).float()[:, None].expand_as(targeted)[targeted]
        soft = (target_segments == REVIEW) & ((targets == accept) | (targets == revise)) \
            & ~torch.isnan(share)
        if soft.any():
            logp = F.log_softmax(logits[soft], dim=-1)
            s = share[soft]
            verdict_loss = -(s * logp[:, accept] + (1 - s) * logp[:, revise])
            token_loss = token_loss.masked_scatter(soft, verdict_loss)
            metrics["loss/verdict_value"] = verdict_loss.mean().item()
    loss = (token_loss * weights[targeted]).sum() / weights.sum().clamp_min(1e-8)
    with torch.no_grad():
        for index, name in enumerate(SEGMENT_NAMES):
            mask = target_segments == index
            if mask.any() and weights_by_segment.get(name, 0) > 0:
                metrics[f"loss/{name}"] = token_loss[mask].mean().item()
        action = target_segments == ACTION
        if action.any():
            hits = (logits.argmax(-1) == targets)[action].float()
            metrics["action_accuracy"] = hits.mean().item()
    return loss, metrics


def train_policy(config: PolicyTrainConfig) -> int:
    from .policy_run import PolicyRun

    return PolicyRun(config).train()

