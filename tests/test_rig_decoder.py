"""The incremental decoder: grammar, ragged batching equals one-at-a-time, bounded context."""

import numpy as np
import pytest
import torch

from rig.policy.decoder import IncrementalDecoder
from rig.policy.model import ModelConfig, build_model, wrap_model
from rig.policy.sequence import (OBSERVATION, SequenceBuilder, SequenceConfig, StepPositions,
                                 pad_batch)
from rig.policy.vocab import RigVocabulary
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


def test_open_action_language_is_text_closed_by_end_act(parts):
    vocab, model, builder = parts
    decoder = _decoder(vocab, model, open_actions=True, max_action_tokens=5,
                       max_context_tokens=4096)
    decoder.reset([builder.prefix("Click the button.")[0]] * 2)
    for step in range(2):
        for out in decoder.step([_observation(builder, step), _observation(builder, 7 + step)]):
            assert out.action_id is None
            assert 1 <= len(out.action_text_ids) <= 5
            assert all(i in vocab.text for i in out.action_text_ids)
            assert len(out.image_ids) == GRID * GRID
    closing = decoder.steps[0][0]
    end_act = vocab.id("</act>")
    assert closing.count(end_act) == 1  # closed once, right before <imagine>
    assert closing[closing.index(end_act) + 1] == vocab.id("<imagine>")
    with pytest.raises(ValueError, match="closed action languages"):
        _decoder(vocab, model, open_actions=True, lookahead=1)


@pytest.mark.parametrize("options", [{}, {"lookahead": 1, "candidates": 2}, {"keep_steps": 1}],
                         ids=["plain", "lookahead", "one-step-context"])
def test_ragged_batch_decodes_each_world_as_if_alone(parts, options):
    vocab, model, builder = parts
    prefixes = [builder.prefix("Survive.")[0], builder.prefix("Collect wood now please.")[0]]
    batched = _decoder(vocab, model, **options)
    batched.reset(prefixes)
    alone = [_decoder(vocab, model, **options) for _ in prefixes]
    for w, decoder in enumerate(alone):
        decoder.reset([prefixes[w]])
    for step in range(3 if not options else 2):
        observations = [_observation(builder, step), _observation(builder, 50 + step, ["do"])]
        together = batched.step(observations)
        for w, decoder in enumerate(alone):
            (single,) = decoder.step([observations[w]])
            assert together[w].reasoning_ids == single.reasoning_ids
            assert together[w].action_id == single.action_id
            assert together[w].image_ids == single.image_ids
            assert together[w].proposals == single.proposals
            assert together[w].reviews == single.reviews


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


@pytest.mark.parametrize("keep_steps", [1, 2])
def test_acting_context_is_the_trained_one_whatever_the_episode_length(parts, keep_steps):
    """A policy trained on the prefix and `context_steps` steps acts on exactly that: step 6 of
    a long-running decoder decodes what a fresh decoder given only the prefix and the kept
    steps decodes (before the fix, all earlier steps stayed in the cache until it overflowed)."""
    vocab, model, builder = parts
    prefix = builder.prefix("Survive.")[0]
    running = _decoder(vocab, model, keep_steps=keep_steps)  # max context: no overflow slides
    running.reset([prefix])
    for step in range(6):
        running.step([_observation(builder, step)])
        assert len(running.steps[0]) <= keep_steps
    # the steps a trained layout keeps before step 6: the last keep_steps - 1, closing tokens too
    kept = running.steps[0][len(running.steps[0]) - keep_steps + 1:] if keep_steps > 1 else []
    kept_ids = [t for s in kept for t in s] + (running.pending[0] if kept else [])
    fresh = _decoder(vocab, model, keep_steps=keep_steps)
    fresh.reset([prefix + kept_ids])
    (late,) = running.step([_observation(builder, 6)])
    (alone,) = fresh.step([_observation(builder, 6)])
    assert running.context_length() == fresh.context_length()
    assert late.reasoning_ids == alone.reasoning_ids and late.action_id == alone.action_id
    assert late.image_ids == alone.image_ids


# -- a model that sees frames through its patch encoder ---------------------------------------
# patches: a 2x3 grid of 4-pixel patches; cnn: the conv eye pooled to 2x2 (both 6 or 4 slots)
FRAME_ENCODERS = {"patches": dict(image_input="patches", patch_size=4, patch_rows=2, patch_cols=3),
                  "cnn": dict(image_input="cnn", cnn_grid=2, cnn_channels=[8, 16]),
                  # the whole map projected to 3 inputs (`--eye-tokens 3`)
                  "cnn-flat": dict(image_input="cnn", cnn_grid=2, cnn_channels=[8, 16],
                                   cnn_tokens=3)}


@pytest.fixture(scope="module", params=sorted(FRAME_ENCODERS))
def patch_parts(parts, request):
    from rig.policy.model import wrap_model

    vocab = parts[0]
    torch.manual_seed(0)
    config = ModelConfig(preset="tiny", vocab_size=len(vocab), **FRAME_ENCODERS[request.param])
    model = wrap_model(build_model(config), config, vocab.id("<patch>")).double().eval()
    builder = SequenceBuilder(vocab, SequenceConfig(context_steps=2, patches=config.patches))
    return vocab, model, builder


def _frame(seed):
    return np.random.default_rng(seed).integers(0, 256, (9, 13, 3), dtype=np.uint8)


def test_patch_encoder_reads_the_frame_and_checks_the_slot_count(patch_parts):
    vocab, model, builder = patch_parts
    ids, _ = builder.observation(None, "Vitals: health 9/9.", [])
    assert ids.count(vocab.id("<patch>")) == model.rig_config.patches == builder.config.patches
    batch = torch.tensor([ids])
    with torch.no_grad():
        a = model(input_ids=batch, frames=_frame(1)[None]).logits
        b = model(input_ids=batch, frames=_frame(2)[None]).logits
    assert not torch.allclose(a[0, -1], b[0, -1])  # what the frame shows changes the output
    with pytest.raises(ValueError, match="slots need 1 frames, 0 given"):
        model(input_ids=batch)
    if model.rig_config.image_input != "patches":
        return  # the conv eye pools any frame size to its grid
    with pytest.raises(ValueError, match="smaller than"):
        model(input_ids=batch, frames=np.zeros((1, 4, 4, 3), np.uint8))


def test_patch_model_ragged_batch_decodes_each_world_as_if_alone(patch_parts):
    vocab, model, builder = patch_parts
    prefixes = [builder.prefix("Survive.")[0], builder.prefix("Collect wood now please.")[0]]
    batched = _decoder(vocab, model)
    batched.reset(prefixes)
    alone = [_decoder(vocab, model) for _ in prefixes]
    for w, decoder in enumerate(alone):
        decoder.reset([prefixes[w]])
    for step in range(3):
        observations = [builder.observation(None, f"Vitals: health {step}/9.", [])[0],
                        builder.observation(None, "Vitals: food 2/9.", ["do"])[0]]
        frames = [_frame(step), _frame(100 + step)]
        together = batched.step(observations, frames)
        for w, decoder in enumerate(alone):
            (single,) = decoder.step([observations[w]], [frames[w]])
            assert together[w].reasoning_ids == single.reasoning_ids
            assert together[w].action_id == single.action_id
            assert together[w].image_ids == single.image_ids


def test_patch_model_context_slides_with_its_frames(patch_parts):
    vocab, model, builder = patch_parts
    decoder = _decoder(vocab, model, max_context_tokens=120, keep_steps=2)
    decoder.reset([builder.prefix("Survive.")[0]])
    lengths = []
    for step in range(8):  # a slide re-feeds the kept step: without its frame the model raises
        decoder.step([builder.observation(None, "Vitals: health 9/9.", [])[0]], [_frame(step)])
        lengths.append(decoder.context_length())
    assert max(lengths) <= 120 and len(decoder.steps[0]) <= 2  # 8 steps played, <= 2 kept


# -- RIG-lookahead: imagine ahead, review, revise -----------------------------------------------
def test_lookahead_imagines_ahead_reviews_and_revises(parts):
    from rig.policy.grammar import REVIEW_PART

    vocab, model, builder = parts
    decoder = _decoder(vocab, model, lookahead=2, candidates=2)
    decoder.reset([builder.prefix("Survive.")[0]])
    (out,) = decoder.step([_observation(builder, 1)])
    assert 1 <= len(out.proposals) <= 2 and len(out.verdicts) == len(out.reviews) >= 1
    assert all(len(r) == 2 and all(len(f) == GRID * GRID for f in r) for r in out.rollouts)
    # one imagined action per rollout frame after the first, each a legal action
    assert [len(a) for a in out.rollout_actions] == [1] * len(out.proposals)
    assert all(a in vocab.actions for acts in out.rollout_actions for a in acts)
    assert out.action_id in vocab.actions and all(p in vocab.actions for p in out.proposals)
    if out.verdicts[0] == "accept":
        assert out.action_id == out.proposals[0] and out.image_ids == out.rollouts[0][0]
    # A reviewer that always says revise: two reviewed proposals, then an unreviewed correction.
    only_revise = torch.full_like(decoder.allowed[REVIEW_PART], float("-inf"))
    only_revise[vocab.id("<revise>")] = 0.0
    decoder.allowed[REVIEW_PART] = only_revise
    (out,) = decoder.step([_observation(builder, 2)])
    assert out.verdicts == ["revise", "revise"] and len(out.proposals) == 2
    assert len(out.image_ids) == GRID * GRID  # the final action's imagined frame
    context = decoder.steps[0][-1]
    assert context.count(vocab.id("<imagined>")) == 2  # one per proposal (2 frames ahead each)
    assert context.count(vocab.id("<review>")) == 2 and context.count(vocab.id("<act>")) == 5


def test_a_reviewer_without_review_words_gives_its_verdict_straight_after_the_outcome(parts):
    """`review_words=False`: no review word is sampled; the verdict is drawn from the
    reviewer's odds of accept against revise, read straight after the imagined outcome."""
    vocab, model, builder = parts
    decoder = IncrementalDecoder(model, vocab, GRID * GRID, max_reasoning_tokens=6,
                                 temperature=1.0, lookahead=1, candidates=1, seed=3,
                                 review_words=False)
    decoder.reset([builder.prefix("Survive.")[0]])
    verdicts = []
    for step in range(6):
        (out,) = decoder.step([_observation(builder, step)])
        assert out.reviews == [[]] and len(out.accept_shares) == 1
        assert 0.0 < out.accept_shares[0] < 1.0  # an untrained reviewer's odds, not 0 or 1
        context, closing = decoder.steps[0][-1], [vocab.id(f"<{out.verdicts[0]}>"),
                                                  vocab.id("</review>")]
        after = context[context.index(vocab.id("<review>")) + 1:]
        if out.verdicts[0] == "revise":  # the correction follows the closed review
            assert after[:2] == closing and len(after) > 2
        else:  # no word after `<review>`: the verdict closes it with the next step's feed
            assert after == []
        verdicts += out.verdicts
    assert set(verdicts) <= {"accept", "revise"} and len(verdicts) == 6


def test_an_outcome_given_after_a_forced_proposal_replaces_the_imagined_one(parts):
    """`forced` tokens past the decision fill the imagined frames and actions in order (the
    real outcome that `rig eval verdict --real-frames` reviews); the review is the model's."""
    vocab, model, builder = parts
    decoder = _decoder(vocab, model, lookahead=2, candidates=1, correct=False)
    decoder.reset([builder.prefix("Survive.")[0]])
    (first,) = decoder.step([_observation(builder, 1)])
    rng = np.random.default_rng(0)
    frames = [vocab.image_ids(rng.integers(0, 12, GRID * GRID)) for _ in range(2)]
    later = vocab.action_id(vocab.action_names[1])
    given = decoder.proposal_ids(first) + frames[0] + [later] + frames[1]
    (out,) = decoder.step([_observation(builder, 1)], forced=[given])
    assert out.proposals == [first.action_id] and out.rollouts == [frames]
    assert out.rollout_actions == [[later]] and len(out.verdicts) == 1
    assert decoder.steps[0][-1][-1] != vocab.id("<review>")  # it wrote its review


def test_anchored_positions_fix_the_distance_from_observed_to_imagined_tiles(parts):
    vocab, _, builder = parts
    config = SequenceConfig(context_steps=2)
    anchor = config.anchor_for(GRID * GRID)
    positions = StepPositions(vocab.id("<obs>"), vocab.id("<imagine>"), anchor)
    image = np.arange(GRID * GRID).reshape(GRID, GRID) % 12
    distances = set()
    for reasoning in ("tree", "I see a tree to the left so I walk left, then I walk left."):
        obs, _ = builder.observation(image, "Vitals: health 9/9.", ["noop"])
        out, _ = builder.decision(reasoning, "move_left", image)
        ids = np.asarray(obs + out)
        assigned = positions.assign(ids)[0]
        observed = assigned[2:2 + GRID * GRID]               # after <step> <obs>
        imagined = assigned[-GRID * GRID:]
        distances |= set((imagined - observed).tolist())
        assert np.all(np.diff(assigned) > 0)                 # still increasing
    assert distances == {anchor}                             # whatever the reasoning's length


def test_anchored_decoder_agrees_with_the_training_layout(parts):
    """Fed piecewise with its KV cache, the decoder must compute what a full forward pass over
    the same ids with training's position ids and tile slots (pad_batch) computes."""
    vocab, _, _ = parts
    config = ModelConfig(preset="tiny", vocab_size=len(vocab), image_grid=GRID * GRID)
    torch.manual_seed(1)
    model = wrap_model(build_model(config), config, vocab.id("<patch>")).double().eval()
    config = SequenceConfig(context_steps=2)
    config.image_anchor = config.anchor_for(GRID * GRID)
    builder = SequenceBuilder(vocab, config)
    decoder = _decoder(vocab, model, image_anchor=config.image_anchor)
    prefix = builder.prefix("Survive.")[0]
    decoder.reset([prefix])
    for step in range(2):
        (out,) = decoder.step([_observation(builder, step)])
    (after,) = decoder._feed([decoder.pending[0]])  # the logits after the last imagined token
    ids = np.asarray(prefix + [t for s in decoder.steps[0] for t in s] + decoder.pending[0])
    input_ids, mask, _, position_ids, slots = pad_batch([(ids, np.zeros(len(ids), np.int8))],
                                                        0, None, builder.positions)
    assert position_ids.max() > len(ids)  # the anchor left gaps
    assert sorted(set(slots[0].tolist())) == list(range(-1, GRID * GRID))
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids,
                       image_slots=slots).logits[0]
    assert torch.allclose(after, logits[-1].float(), atol=1e-5)
    # the last step's imagined tokens, chosen greedily, are the full pass's predictions
    start = len(ids) - GRID * GRID
    images = vocab.images
    predicted = logits[start - 1:len(ids) - 1, images.start:images.stop].argmax(-1) + images.start
    assert predicted.tolist() == out.image_ids


# -- imagining from the restated frame (`imagine_from_frame`, an eye policy) ---------------------
def test_imagining_from_the_frame_restates_it_a_fixed_distance_before_the_imagined_one(parts):
    """An eye policy sees `<patch>` placeholders, not the codes it imagines in: the layout
    restates the observed frame's codes (input) before `<imagine>`, so each imagined tile sits
    one fixed distance after the same observed tile, whatever the reasoning's length."""
    vocab = parts[0]
    config = SequenceConfig(context_steps=1, patches=2, imagine_from_frame=True)
    config.image_anchor = config.anchor_for(GRID * GRID)
    builder = SequenceBuilder(vocab, config)
    now, after = ((np.arange(GRID * GRID).reshape(GRID, GRID) + k) % 12 for k in (0, 1))
    distances = set()
    for reasoning in ("tree", "I see a tree to the left so I walk left, then I walk left."):
        obs, _ = builder.observation(None, "Vitals: health 9/9.", [])
        out, segments = builder.decision(reasoning, "move_left", after, image_codes=now)
        ids = obs + out
        at = len(ids) - 2 * (GRID * GRID) - 2          # <obs> codes <imagine> codes
        assert ids[at] == vocab.id("<obs>") and ids[at + GRID * GRID + 1] == vocab.id("<imagine>")
        assert ids[at + 1:at + 1 + GRID * GRID] == vocab.image_ids(now.reshape(-1))
        assert ids[-GRID * GRID:] == vocab.image_ids(after.reshape(-1))
        restated = segments[len(out) - 2 * GRID * GRID - 1:len(out) - GRID * GRID - 1]
        assert set(restated) == {OBSERVATION}          # input, never a target
        positions, slots, _ = builder.positions.assign(np.asarray(ids))
        distances |= set((positions[-GRID * GRID:] - positions[at + 1:at + 1 + GRID * GRID])
                         .tolist())
        assert slots[at + 1:at + 1 + GRID * GRID].tolist() == list(range(GRID * GRID))
    assert len(distances) == 1
    with pytest.raises(ValueError, match="image codes are needed"):
        builder.decision("tree", "move_left", after)  # no codes to restate


def test_decoder_imagining_from_the_frame_writes_the_training_layout(patch_parts):
    vocab, model, _ = patch_parts
    config = SequenceConfig(context_steps=1, patches=model.rig_config.patches,
                            imagine_from_frame=True)
    config.image_anchor = config.anchor_for(GRID * GRID)
    builder = SequenceBuilder(vocab, config)
    decoder = _decoder(vocab, model, imagine_from_frame=True, image_anchor=config.image_anchor,
                       positions=builder.positions, keep_steps=1)
    decoder.reset([builder.prefix("Survive.")[0]])
    observation = builder.observation(None, "Vitals: health 9/9.", [])[0]
    with pytest.raises(ValueError, match="imagines from the observed frame"):
        decoder.step([observation], [_frame(0)])
    now = np.random.default_rng(5).integers(0, 12, (GRID, GRID))
    (out,) = decoder.step([observation], [_frame(0)], [vocab.image_ids(now.reshape(-1))])
    written = decoder.steps[0][-1] + decoder.pending[0]
    reasoning = vocab.decode_text(out.reasoning_ids)
    codes = np.asarray(vocab.image_codes(out.image_ids)).reshape(GRID, GRID)
    expected = observation + builder.decision(reasoning, vocab.action_name(out.action_id),
                                              codes, image_codes=now)[0]
    # the reasoning re-encoded may split differently: compare the parts after it
    tail = 2 * GRID * GRID + 4                         # <act> a <obs> codes <imagine> codes
    assert written[-tail:] == expected[-tail:]
    assert written[:len(observation)] == observation
