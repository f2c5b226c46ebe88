"""The decoder's lean forward computes what the Hugging Face forward computes.

`policy/forward.py` writes the Qwen2/Llama computation out over the HF model's own weights with
a static KV buffer; these tests hold it to the HF model's logits (ragged feeds with padding,
cache crops, buffer growth, GQA) and to the same decoded steps, and check that architectures it
does not know fall back to the HF forward.
"""

import numpy as np
import pytest
import torch

from rig.policy.forward import HFForward, LeanForward, decoding_forward


def _qwen2(**overrides):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = dict(vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=48, max_position_embeddings=512,
                  tie_word_embeddings=True)
    config.update(overrides)
    torch.manual_seed(0)
    return Qwen2ForCausalLM(Qwen2Config(**config)).double().eval()


def _llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=97, hidden_size=48, num_hidden_layers=2,
                         num_attention_heads=6, num_key_value_heads=3, intermediate_size=64,
                         max_position_embeddings=512, tie_word_embeddings=False,
                         rope_theta=500.0)
    return LlamaForCausalLM(config).double().eval()


def _feeds(rng, worlds, count):
    """Ragged feeds: each world 0-5 tokens a call (some calls feed a world nothing)."""
    return [[rng.integers(3, 97, size=int(rng.integers(0, 6))).tolist() for _ in range(worlds)]
            for _ in range(count)]


def _run(forward, lm, feeds, crop_at=None):
    """Feed `feeds` into `forward`, tracking positions per world; returns every call's logits
    after each world's last token (None where a world fed nothing)."""
    worlds = len(feeds[0])
    next_position = [0] * worlds
    seen = []
    for call, rows in enumerate(feeds):
        if call == crop_at:
            forward.crop(crop_width)
            next_position = list(crop_positions)
        if call == 1:
            crop_width, crop_positions = forward.width, list(next_position)
        width = max(len(r) for r in rows)
        if width == 0:
            continue
        ids = torch.zeros((worlds, width), dtype=torch.long)
        mask = torch.zeros((worlds, width), dtype=torch.bool)
        positions = torch.zeros((worlds, width), dtype=torch.long)
        for w, row in enumerate(rows):
            n = len(row)
            ids[w, :n] = torch.tensor(row, dtype=torch.long)
            mask[w, :n] = True
            positions[w] = torch.arange(next_position[w], next_position[w] + width).clamp(
                max=next_position[w] + max(n - 1, 0))
            next_position[w] += n
        embeds = lm.get_input_embeddings()(ids)
        last = [len(r) - 1 for r in rows]
        if worlds == 1 and width == 1:  # the decoder's one-token path at batch 1
            logits = forward.feed_token(embeds[0], int(positions[0, 0]))
        else:
            logits = forward.feed(embeds, mask, positions, last)
        seen.append([logits[w] if i >= 0 else None for w, i in enumerate(last)])
    return seen


@pytest.mark.parametrize("make", [_qwen2, _llama], ids=["qwen2", "llama"])
@pytest.mark.parametrize("crop_at", [None, 6])
@pytest.mark.parametrize("worlds", [3, 1])  # one world: one-token feeds take `feed_token`
def test_lean_logits_equal_the_hugging_face_forward(make, crop_at, worlds):
    lm = make()
    rng = np.random.default_rng(0)
    # a first feed of 30 tokens, then ragged ones: the 16-slot buffer must grow twice
    feeds = [[rng.integers(3, 97, size=30).tolist(), rng.integers(3, 97, size=22).tolist(),
              rng.integers(3, 97, size=1).tolist()]] + _feeds(rng, 3, 14)
    if worlds == 1:  # the first world's feeds, with one-token feeds among them
        feeds = [[row[0]] for row in feeds] + [[[int(t)]] for t in rng.integers(3, 97, 8)]
    lean = LeanForward(lm, worlds=worlds, capacity=16)
    reference = HFForward(lm, worlds=worlds)
    got = _run(lean, lm, feeds, crop_at)
    want = _run(reference, lm, feeds, crop_at)
    assert lean.capacity > 16 and lean.width == reference.width
    compared = 0
    for got_call, want_call in zip(got, want):
        for g, h in zip(got_call, want_call):
            assert (g is None) == (h is None)
            if g is not None:
                torch.testing.assert_close(g, h, rtol=1e-9, atol=1e-9)
                compared += 1
    assert compared > (20 if worlds == 3 else 10)


@pytest.mark.parametrize("worlds", [3, 1])  # one world: most feeds take `feed_token`
def test_the_decoder_writes_the_same_steps_either_way(worlds):
    """Sampled decoding (temperature 1, one seed) with the grid embedding and a sliding context:
    the lean forward and the HF forward write the very same tokens."""
    from rig.policy.decoder import IncrementalDecoder
    from rig.policy.model import ModelConfig, build_model, wrap_model
    from rig.policy.sequence import SequenceBuilder, SequenceConfig
    from rig.policy.vocab import RigVocabulary
    from rig.worlds.crafter import ACTION_NAMES

    texts = ["I see a tree to the left so I walk left.", "Vitals: health 9/9, food 8/9."] * 40
    vocab = RigVocabulary.train(texts, ACTION_NAMES, codebook_size=12, text_vocab_size=200)
    config = ModelConfig(preset="tiny", vocab_size=len(vocab), image_grid=9)
    torch.manual_seed(0)
    model = wrap_model(build_model(config), config, vocab.id("<patch>")).double().eval()
    builder = SequenceBuilder(vocab, SequenceConfig(context_steps=2))
    rng = np.random.default_rng(3)

    def play(lean, keep_steps):
        decoder = IncrementalDecoder(model, vocab, 9, max_reasoning_tokens=6, seed=5,
                                     keep_steps=keep_steps, image_anchor=40, lean=lean)
        assert isinstance(decoder.forward, type(None))
        decoder.reset([builder.prefix("Survive.")[0]] * worlds)
        assert isinstance(decoder.forward, LeanForward if lean else HFForward)
        written = []
        for step in range(4):
            observations = [builder.observation(codes, f"Vitals: health {w}/9.", [])[0]
                            for w, codes in enumerate(grids[step])]
            if worlds > 1:  # a world sits a step out (its episode ended)
                observations[step % 3] = None if step == 3 else observations[step % 3]
            for out in decoder.step(observations):
                written.append(None if out is None else
                               (out.reasoning_ids, out.action_id, out.image_ids))
        return written, decoder.context_length()

    grids = rng.integers(0, 12, (4, worlds, 3, 3))
    for keep_steps in (1, 2):
        assert play(True, keep_steps) == play(False, keep_steps)


def test_unknown_architectures_use_the_hugging_face_forward():
    from transformers import GPT2Config, GPT2LMHeadModel

    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=2))
    assert "gpt2" in LeanForward.supports(gpt2)
    assert isinstance(decoding_forward(gpt2, 2), HFForward)
    windowed = _qwen2(use_sliding_window=True, sliding_window=8)
    assert "sliding" in LeanForward.supports(windowed)
    with pytest.raises(ValueError, match="sliding"):
        LeanForward(windowed, 2)
    assert isinstance(decoding_forward(_qwen2(), 2), LeanForward)
    assert isinstance(decoding_forward(_qwen2(), 2, lean=False), HFForward)


def test_a_reset_decodes_with_the_weights_as_they_are_now():
    """The lean forward stacks copies of the weights: a model trained between episodes (a
    closed-loop evaluation during training) must be decoded with its new weights."""
    from rig.policy.decoder import IncrementalDecoder
    from rig.policy.vocab import RigVocabulary
    from rig.worlds.crafter import ACTION_NAMES

    vocab = RigVocabulary.train(["walk left to the tree"] * 20, ACTION_NAMES, codebook_size=8,
                                text_vocab_size=120)
    lm = _qwen2(vocab_size=len(vocab))
    prefix = [[vocab.id("<bos>"), 5, 6, 7]]
    lean = IncrementalDecoder(lm, vocab, 4)
    before = lean.reset(prefix)[0]
    with torch.no_grad():  # "training" between two episodes
        for parameter in lm.parameters():
            parameter.mul_(1.5)
    after = lean.reset(prefix)[0]
    reference = IncrementalDecoder(lm, vocab, 4, lean=False).reset(prefix)[0]
    torch.testing.assert_close(after, reference, rtol=1e-9, atol=1e-9)
    assert not torch.allclose(before, after)


def test_training_logits_only_where_targets_weigh_give_the_same_loss_and_gradients():
    """Training asks the model for logits at the weighted targets only (`logits_at`): the loss,
    its metrics and the gradients are those of the full-sequence logits."""
    from rig.policy.grammar import ACTION, IMAGINATION, REASONING
    from rig.policy.model import ModelConfig, build_model, wrap_model
    from rig.train.train_policy import loss_positions, weighted_loss

    config = ModelConfig(preset="micro", vocab_size=97)
    torch.manual_seed(0)
    model = wrap_model(build_model(config), config, patch_id=96).double()
    rng = np.random.default_rng(0)
    ids = torch.as_tensor(rng.integers(3, 96, (3, 20)))
    segments = torch.as_tensor(rng.choice([0, REASONING, ACTION, IMAGINATION], (3, 20),
                                          p=[0.5, 0.2, 0.1, 0.2]))
    mask = torch.ones_like(ids)
    mask[2, 15:] = 0  # a padded row
    weights = {"reasoning": 1.0, "action": 4.0, "imagination": 0.0}

    def run(kept):
        model.zero_grad()
        if kept:
            keep, _ = loss_positions(ids, segments, mask, weights)
            logits = model(input_ids=ids, attention_mask=mask, logits_at=keep)
            assert logits.dim() == 2 and 0 < logits.shape[0] == int(keep.sum()) < ids.numel()
        else:
            logits = model(input_ids=ids, attention_mask=mask).logits
        loss, metrics = weighted_loss(logits, ids, segments, mask, weights)
        loss.backward()
        return loss.item(), metrics, [p.grad.clone() for p in model.parameters()]

    full, kept = run(False), run(True)
    assert full[0] == pytest.approx(kept[0], rel=1e-9)
    assert full[1].keys() == kept[1].keys() and "loss/imagination" not in kept[1]
    for name in full[1]:
        assert full[1][name] == pytest.approx(kept[1][name], rel=1e-9)
    for a, b in zip(full[2], kept[2]):
        torch.testing.assert_close(a, b)
