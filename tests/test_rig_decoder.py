"""The incremental decoder: grammar, ragged batching equals one-at-a-time, bounded context."""

import numpy as np
import pytest
import torch

from rig.agents.rig_decoder import IncrementalDecoder
from rig.agents.rig_model import ModelConfig, build_model
from rig.train.sequence import SequenceBuilder, SequenceConfig
from rig.train.vocab import RigVocabulary
from rig.worlds.crafter import ACTION_NAMES

GRID = 3  # 3x3 image tokens keep the test fast


@pytest.fixture(scope="module")
def parts():
    texts = ["I see a tree to the left so I walk left.", "Vitals: health 9/9, food 8/9."] * 40
    vocab = RigVocabulary.train(texts, ACTION_NAMES, codebook_size=12, text_vocab_size=200)
    torch.manual_seed(0)
    model = build_model(ModelConfig(preset="tiny", vocab_size=len(vocab))).double().eval()
    builder = SequenceBuilder(vocab, SequenceConfig(context_steps=2))
    return vocab, model, builder


def _observation(builder, seed, history=()):
    rng = np.random.default_rng(seed)
    ids, _ = builder.observation(rng.integers(0, 12, (GRID, GRID)), f"Vitals: health {seed}/9.",
                                 list(history))
    return ids


def _decoder(vocab, model, **kwargs):
    return IncrementalDecoder(model, vocab, GRID * GRID, max_reasoning_tokens=6,
                              temperature=0.0, **kwargs)


def test_outputs_follow_the_grammar(parts):
    vocab, model, builder = parts
    decoder = _decoder(vocab, model)
    decoder.reset([builder.prefix("Survive.")[0]] * 2)
    for step in range(3):
        outputs = decoder.step([_observation(builder, step), _observation(builder, 10 + step)])
        for out in outputs:
            assert out.action_id in vocab.actions
            assert len(out.image_ids) == GRID * GRID and all(i in vocab.images for i in out.image_ids)
            assert len(out.reasoning_ids) <= 6 and all(i in vocab.text for i in out.reasoning_ids)


def test_ragged_batch_decodes_each_world_as_if_alone(parts):
    vocab, model, builder = parts
    prefixes = [builder.prefix("Survive.")[0], builder.prefix("Collect wood now please.")[0]]
    batched = _decoder(vocab, model)
    batched.reset(prefixes)
    alone = [_decoder(vocab, model) for _ in prefixes]
    for w, decoder in enumerate(alone):
        decoder.reset([prefixes[w]])
    for step in range(3):
        observations = [_observation(builder, step), _observation(builder, 50 + step, ["do"])]
        together = batched.step(observations)
        for w, decoder in enumerate(alone):
            (single,) = decoder.step([observations[w]])
            assert together[w].reasoning_ids == single.reasoning_ids
            assert together[w].action_id == single.action_id
            assert together[w].image_ids == single.image_ids


def test_context_slides_and_stays_bounded(parts):
    vocab, model, builder = parts
    decoder = _decoder(vocab, model, max_context_tokens=120, keep_steps=2)
    decoder.reset([builder.prefix("Survive.")[0]])
    lengths = []
    for step in range(8):
        decoder.step([_observation(builder, step)])
        lengths.append(decoder.context_length())
    assert max(lengths) <= 120
    assert lengths[-1] < sum(lengths) / len(lengths) * 2  # it did slide, not grow forever
