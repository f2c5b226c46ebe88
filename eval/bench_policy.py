"""`rig bench policy`: our incremental decoder against `model.generate()` on the same model.

Both write the same steps under the same grammar (reasoning capped at --reasoning tokens, one
action token, --grid x --grid imagined image tokens) for --steps environment steps of one
episode, in the same process. `generate()` re-reads the whole context every step (it keeps no
cache between calls) and spends one forward call per forced structure token; our decoder keeps
the KV cache across steps, feeds forced tokens with the token before them, and batches K worlds.
Both sample reasoning and actions as acting does (temperature 1, reasoning capped at the
policy's 48 tokens), in rounds that alternate them (the median is reported), so a busy machine
slows both alike. Prints tokens per second, ms per environment step, and the ratios. Our
decoder runs the
layout a new policy is trained with (anchored `<imagine>` positions, the tile embedding);
`generate()` runs the same weights' LM with contiguous positions, as it only can.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rig.config import option, require


@dataclass
class BenchPolicyConfig:
    preset: str = option("tiny", "model size preset")
    grid: int = option(9, "image tokens per side (the tokenizer's grid: 9 for Crafter's tiles)")
    codebook: int = option(512, "image codebook size")
    text_vocab: int = option(2000, "BPE text vocabulary size")
    reasoning: int = option(48, "reasoning tokens per step at most (the policy's cap, 48; an "
                            "untrained model usually runs to it)")
    temperature: float = option(1.0, "sampling temperature of reasoning and actions, as acting "
                                "samples (0: greedy); imagined image tokens are greedy")
    rounds: int = option(3, "rounds, each timing generate() and then ours at every K (the "
                         "median is reported): a busy machine slows both alike")
    steps: int = option(6, "environment steps timed")
    context_steps: int = option(1, "steps the policy sees together (the CPU recipe's 1): both "
                                "decoders keep the prefix and the last N-1 steps before a step")
    worlds: list[int] = option(None, "parallel worlds for our decoder",
                               factory=lambda: [1, 8, 16])
    device: str = option("cpu", "cpu | cuda")
    threads: int = option(0, "torch CPU threads (0: default)")

    def validate(self) -> None:
        require(self.grid >= 1 and self.codebook >= 2, "--grid and --codebook must be positive")
        require(self.steps >= 2, "--steps must be at least 2")
        require(all(k >= 1 for k in self.worlds), "--worlds must be >= 1")
        require(self.context_steps >= 1, "--context-steps must be >= 1")
        require(self.rounds >= 1 and self.temperature >= 0,
                "--rounds must be >= 1 and --temperature >= 0")


def bench_vocabulary(rng, codebook: int, text_vocab: int):
    """A vocabulary for untrained benchmark policies: Crafter's actions, `codebook` image
    tokens, and BPE text trained on 2,000 random lines of Crafter words (drawn from `rng`)."""
    from rig.policy.vocab import RigVocabulary
    from rig.worlds.crafter import ACTION_NAMES

    words = ["tree", "wood", "table", "stone", "left", "right", "need", "walk", "health", "9/9"]
    texts = [" ".join(rng.choice(words, 12)) for _ in range(2000)]
    return RigVocabulary.train(texts, ACTION_NAMES, codebook, text_vocab)


def _setup(config: BenchPolicyConfig):
    import numpy as np
    import torch

    from rig.policy.model import ModelConfig, build_model, wrap_model
    from rig.policy.sequence import SequenceBuilder, SequenceConfig

    rng = np.random.default_rng(0)
    vocab = bench_vocabulary(rng, config.codebook, config.text_vocab)
    torch.manual_seed(0)
    sequence = SequenceConfig(context_steps=config.context_steps,
                              max_reasoning_tokens=config.reasoning)
    sequence.image_anchor = sequence.anchor_for(config.grid * config.grid)
    # the layout a new policy is trained with: anchored <imagine>, a tile embedding, and as
    # many positions as `rig train policy` gives a model for frames of this grid
    model_config = ModelConfig(preset=config.preset, vocab_size=len(vocab),
                               image_grid=config.grid * config.grid)
    model_config.fit_positions(sequence.positions_needed(config.grid * config.grid))
    model = wrap_model(build_model(model_config), model_config, vocab.id("<patch>"))
    model.to(config.device).eval()
    builder = SequenceBuilder(vocab, sequence)
    observations = [builder.observation(rng.integers(0, config.codebook, (config.grid,) * 2),
                                        "Vitals: health 9/9, food 8/9.", ["noop"] * 4)[0]
                    for _ in range(config.steps)]
    return vocab, model, builder, observations


class _Grammar:
    """A LogitsProcessor that enforces the step grammar inside `generate()`."""

    def __init__(self, vocab, start: int, reasoning: int, image_tokens: int):
        import torch

        self.vocab, self.start = vocab, start
        self.reasoning, self.image_tokens = reasoning, image_tokens
        self.torch = torch

    def __call__(self, input_ids, scores):
        v = self.vocab
        out = input_ids[0, self.start:].tolist()  # generated so far this step
        allowed = self.torch.full_like(scores, float("-inf"))
        if v.id("</think>") not in out:
            if len(out) >= self.reasoning:
                allowed[:, v.id("</think>")] = 0
            else:
                allowed[:, v.text.start:v.text.stop] = 0
                allowed[:, v.id("</think>")] = 0
        elif out[-1] == v.id("</think>"):
            allowed[:, v.id("<act>")] = 0
        elif out[-1] == v.id("<act>"):
            allowed[:, v.actions.start:v.actions.stop] = 0
        elif out[-1] in v.actions:
            allowed[:, v.id("<imagine>")] = 0
        else:
            allowed[:, v.images.start:v.images.stop] = 0
        return scores + allowed


def _time_generate(config, vocab, model, builder, observations) -> tuple[float, int]:
    import torch
    from transformers import LogitsProcessorList

    image_tokens = config.grid * config.grid
    context = builder.prefix("Survive.")[0]
    steps: list[list[int]] = []
    generated, start = 0, time.perf_counter()
    for obs in observations:
        kept = steps[len(steps) - config.context_steps + 1:] if config.context_steps > 1 else []
        ids = context + [t for s in kept for t in s] + obs + [vocab.id("<think>")]
        tensor = torch.tensor([ids], device=config.device)
        budget = config.reasoning + 3 + image_tokens
        sampling = {"do_sample": True, "temperature": config.temperature, "top_k": 0} \
            if config.temperature > 0 else {"do_sample": False}
        with torch.no_grad():  # the LM's own generate() (it knows no tile embedding or anchor)
            out = model.lm.generate(
                tensor, attention_mask=torch.ones_like(tensor), **sampling,
                max_new_tokens=budget, min_new_tokens=budget, pad_token_id=vocab.id("<pad>"),
                logits_processor=LogitsProcessorList([_Grammar(vocab, len(ids), config.reasoning,
                                                               image_tokens)]))
        new = out[0, len(ids):].tolist()
        generated += len(new)
        steps.append(obs + [vocab.id("<think>")] + new)
    return time.perf_counter() - start, generated


def _time_ours(config, vocab, model, builder, observations, worlds: int) -> tuple[float, int]:
    from rig.policy.decoder import IncrementalDecoder

    decoder = IncrementalDecoder(model, vocab, config.grid * config.grid,
                                 max_reasoning_tokens=config.reasoning,
                                 temperature=config.temperature,
                                 max_context_tokens=model.config.max_position_embeddings,
                                 keep_steps=config.context_steps,
                                 image_anchor=builder.config.image_anchor)
    decoder.reset([builder.prefix("Survive.")[0]] * worlds)
    generated, start = 0, time.perf_counter()
    for obs in observations:
        outputs = decoder.step([obs] * worlds)
        # every chosen token counts, forced ones too, as generate() counts them
        generated += sum(len(o.reasoning_ids) + 3 + len(o.image_ids) for o in outputs)
    return time.perf_counter() - start, generated


def bench_policy(config: BenchPolicyConfig) -> int:
    import torch

    if config.threads:
        torch.set_num_threads(config.threads)
    import statistics

    vocab, model, builder, observations = _setup(config)
    _time_ours(config, vocab, model, builder, observations[:1], 1)  # warm up
    rates: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    for _ in range(config.rounds):  # interleaved: generate(), then ours at every K
        runs = [("generate", lambda: _time_generate(config, vocab, model, builder,
                                                    observations))]
        runs += [(k, lambda k=k: _time_ours(config, vocab, model, builder, observations, k))
                 for k in config.worlds]
        for name, run in runs:
            took, tokens = run()
            rates.setdefault(name, []).append(tokens / took)
            seconds.setdefault(name, []).append(took)
    base_rate = statistics.median(rates["generate"])
    sampling = f"temperature {config.temperature:g}" if config.temperature else "greedy"
    print(f"{config.preset} model on {config.device}, {config.grid}x{config.grid} image tokens, "
          f"reasoning up to {config.reasoning} tokens, {sampling}, {config.steps} env steps, a "
          f"context of {config.context_steps} step(s); median of {config.rounds} interleaved "
          "rounds")
    print(f"{'decoder':28s} {'tokens/s':>10s} {'ms/env step':>12s} {'ratio':>7s}")
    print(f"{'generate() (batch 1)':28s} {base_rate:10.0f} "
          f"{1000 * statistics.median(seconds['generate']) / config.steps:12.1f} {1.0:7.2f}")
    for worlds in config.worlds:
        rate = statistics.median(rates[worlds])
        per_step = 1000 * statistics.median(seconds[worlds]) / (config.steps * worlds)
        print(f"{f'ours, {worlds} world(s)':28s} {rate:10.0f} {per_step:12.1f} "
              f"{rate / base_rate:7.2f}")
    print("ms/env step is per world: wall time over (steps x worlds)")
    return 0
