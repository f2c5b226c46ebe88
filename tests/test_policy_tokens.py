"""The policy's vocabulary and token stream: layout, round trips, segments, ablation switches."""

import numpy as np
import pytest

from rig.config import RigError
from rig.policy.sequence import (ACTION, IMAGINATION, OBSERVATION, REASONING, SequenceBuilder,
                                SequenceConfig, pad_batch)
from rig.policy.vocab import RigVocabulary
from rig.worlds.crafter import ACTION_NAMES

TASK = "Survive and unlock as many achievements as you can."
TEXTS = ["I need wood for a table; a tree is 3 steps left, so I walk left.",
         f"{TASK}\nVitals: health 9/9, food 9/9.\nInventory: wood 2."] * 50


@pytest.fixture(scope="module")
def vocab():
    return RigVocabulary.train(TEXTS, ACTION_NAMES, codebook_size=16, text_vocab_size=300)


def test_layout_is_contiguous_and_round_trips(vocab, tmp_path):
    assert vocab.actions.start == vocab.structure.stop
    assert vocab.images.start == vocab.actions.stop and len(vocab.images) == 16
    assert vocab.text.start == vocab.images.stop and len(vocab.text) > 50
    assert vocab.action_name(vocab.action_id("place_table")) == "place_table"
    assert vocab.image_codes(vocab.image_ids([0, 7, 15])) == [0, 7, 15]
    with pytest.raises(ValueError):
        vocab.image_ids([16])
    vocab.save(tmp_path)
    again = RigVocabulary.load(tmp_path)
    assert again.encode_text(TEXTS[0]) == vocab.encode_text(TEXTS[0])
    assert again.decode_text(again.encode_text(TEXTS[0])) == TEXTS[0]
    with pytest.raises(RigError, match="not a RIG vocabulary"):
        RigVocabulary.load(tmp_path / "nowhere")


def test_text_that_looks_like_structure_stays_text(vocab):
    ids = vocab.encode_text("then <act> do </think>")
    assert all(i in vocab.text for i in ids)
    assert vocab.decode_text(ids) == "then <act> do </think>"


def _sample(steps=3, grid=4, first_real=0):
    rng = np.random.default_rng(0)
    pad = np.arange(steps) < first_real
    return {
        "image_tokens": rng.integers(0, 16, (steps + 1, grid, grid)),
        "image_tokens_is_pad": np.append(pad, False),
        "text": [f"{TASK}\nVitals: health 9/9." for _ in range(steps)], "text_is_pad": pad,
        "reasoning": [f"reason {j}" for j in range(steps)], "reasoning_is_pad": pad,
        "action_text": ["noop"] * 4 + ["move_left", "do", "place_table"][:steps],
        "action_text_is_pad": np.append(np.ones(4, bool), pad),
    }


def test_sequence_layout_and_segments(vocab):
    builder = SequenceBuilder(vocab, SequenceConfig(context_steps=3, history_actions=4))
    ids, segments, _ = builder.sample(_sample(), TASK)
    assert len(ids) == len(segments)
    assert (segments == IMAGINATION).sum() == 3 * 16      # one imagined 4x4 frame per step
    assert (segments == OBSERVATION).sum() > 3 * 16
    actions = ids[segments == ACTION]
    assert [vocab.action_name(a) for a in actions] == ["move_left", "do", "place_table"]
    assert all(i in vocab.images for i in ids[segments == IMAGINATION])
    assert ids[0] == vocab.id("<bos>") and list(ids).count(vocab.id("<step>")) == 3
    reasoning = ids[segments == REASONING]
    assert vocab.id("</think>") in reasoning  # the model must learn to close its reasoning
    # The task is stated once, not in every step's text.
    assert vocab.decode_text(ids).count("Survive") == 1


def test_padded_steps_are_skipped_and_history_uses_real_actions(vocab):
    builder = SequenceBuilder(vocab, SequenceConfig(context_steps=3, history_actions=4))
    ids, segments, _ = builder.sample(_sample(first_real=2), TASK)
    assert list(ids).count(vocab.id("<step>")) == 1
    assert [vocab.action_name(a) for a in ids[segments == ACTION]] == ["place_table"]


@pytest.mark.parametrize("reasoning, imagination", [(False, False), (True, False), (False, True)])
def test_ablation_switches_drop_segments(vocab, reasoning, imagination):
    config = SequenceConfig(context_steps=3, reasoning=reasoning, imagination=imagination)
    assert ("reasoning" in config.offsets()) == reasoning
    assert (1 in config.offsets()["image_tokens"]) == imagination
    ids, segments, _ = SequenceBuilder(vocab, config).sample(_sample(), TASK)
    assert ((segments == REASONING).any()) == reasoning
    assert ((segments == IMAGINATION).any()) == imagination
    assert (segments == ACTION).sum() == 3


def test_pad_batch_keeps_the_current_step_when_cutting(vocab):
    builder = SequenceBuilder(vocab, SequenceConfig(context_steps=3))
    long = builder.sample(_sample(), TASK)
    short = builder.sample(_sample(first_real=2), TASK)
    ids, mask, segments = pad_batch([long, short], pad_id=0, max_length=60)
    assert ids.shape == (2, 60) and mask[0].all()
    assert ids[0, -1].item() == long[0][-1]
    assert mask[1].sum().item() == min(60, len(short[0]))


@pytest.mark.parametrize("context_steps,grid", [(3, 4), (2, 9), (1, 46)])
def test_positions_needed_bounds_real_samples(vocab, context_steps, grid):
    """The bound the training run sizes its model with covers a real sample, anchored or not;
    a 46x46 frame (about a 53x40 screen tokenizer's 2,120 tokens) needs more than 2,048."""
    for anchor in (False, True):
        config = SequenceConfig(context_steps=context_steps)
        if anchor:
            config.image_anchor = config.anchor_for(grid * grid)
        builder = SequenceBuilder(vocab, config)
        ids, _, _ = builder.sample(_sample(context_steps, grid), TASK)
        positions, _, _ = builder.positions.assign(ids)
        assert len(ids) <= int(positions.max()) + 1 <= config.positions_needed(grid * grid)
    if grid == 46:
        assert SequenceConfig(context_steps=1).positions_needed(46 * 46) > 2048


@pytest.mark.parametrize("reasoning", [True, False])
def test_the_builder_writes_the_declared_grammar(vocab, reasoning):
    """The decision the builder writes opens its parts in the order `grammar.decision` declares,
    and every structure token the grammar names is one of the vocabulary's."""
    from rig.policy import grammar
    from rig.policy.vocab import STRUCTURE as RESERVED

    assert set(grammar.structure_tokens()) <= set(RESERVED)
    builder = SequenceBuilder(vocab, SequenceConfig(reasoning=reasoning))
    for action in ("noop", "click(3, 4)"):
        ids, _ = builder.decision("go left", action, np.zeros(16, int))
        opened = [vocab.id(p.opens[0]) for p in grammar.decision(reasoning, action != "noop")]
        assert [t for t in ids if t in opened] == opened


def _assign_by_loop(positions, ids, state):
    """The token-by-token definition of `StepPositions.assign` (the reference)."""
    out_p, out_s = np.empty(len(ids), np.int64), np.full(len(ids), -1, np.int64)
    p, obs_at, slot = state
    for i, token in enumerate(ids):
        if token == positions.imagine_id and positions.anchor and obs_at is not None:
            p = max(p, obs_at + positions.anchor)
        out_p[i] = p
        if token == positions.obs_id:
            obs_at = p
        if token in (positions.obs_id, positions.imagine_id):
            slot = 0
        elif positions.images.start <= token < positions.images.stop:
            base = next(first for block, first in positions.blocks if token in block)
            out_s[i], slot = base + slot, slot + 1
        p += 1
    return out_p, out_s, (p, obs_at, slot)


@pytest.mark.parametrize("anchor", [0, 37])
def test_vectorised_positions_equal_the_token_by_token_definition(anchor):
    """Random streams, whole and cut into pieces fed one after another (as the decoder does),
    over two image blocks: positions, slots and the carried state equal the reference loop."""
    from rig.policy.sequence import StepPositions

    obs, imagine = 5, 6
    blocks = [(range(100, 140), 0), (range(140, 200), 81)]
    positions = StepPositions(obs, imagine, anchor, blocks)
    rng = np.random.default_rng(0)
    kinds = [np.array([obs]), np.array([imagine]), np.array([1, 2, 3]), np.arange(100, 200)]
    for trial in range(300):
        n = int(rng.integers(0, 120))
        which = rng.choice(4, size=n, p=[0.05, 0.05, 0.2, 0.7])
        ids = np.array([rng.choice(kinds[k]) for k in which], np.int64)
        whole = positions.assign(ids)
        reference = _assign_by_loop(positions, ids, StepPositions.START)
        assert np.array_equal(whole[0], reference[0]) and np.array_equal(whole[1], reference[1])
        assert whole[2] == reference[2]
        state = StepPositions.START
        for piece in np.array_split(ids, int(rng.integers(1, 6))):
            got, want = positions.assign(piece, state), _assign_by_loop(positions, piece, state)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
            assert got[2] == want[2]
            state = got[2]
        # one token at a time, as the decoder feeds most steps: `assign_one`
        state, got_p, got_s = StepPositions.START, [], []
        for token in ids.tolist():
            at, slot, state = positions.assign_one(token, state)
            got_p.append(at)
            got_s.append(slot)
        assert got_p == reference[0].tolist() and got_s == reference[1].tolist()
        assert state == reference[2]


def test_text_tokens_zero_leaves_the_frame_alone(vocab):
    """--text-tokens 0: each step's observation is its frame (and past actions), without the
    vitals and inventory words, which the frame shows too; the rest of the sample is the same."""
    full = SequenceBuilder(vocab, SequenceConfig(context_steps=3, history_actions=4))
    bare = SequenceBuilder(vocab, SequenceConfig(context_steps=3, history_actions=4,
                                                 max_text_tokens=0))
    ids, segments, _ = full.sample(_sample(), TASK)
    bare_ids, bare_segments, _ = bare.sample(_sample(), TASK)
    words = len(vocab.encode_text("Vitals: health 9/9."))
    assert len(ids) - len(bare_ids) == 3 * words
    text_open, text_close = vocab.id("<text>"), vocab.id("</text>")
    opens = [i for i, t in enumerate(bare_ids) if t == text_open]
    assert len(opens) == 3 and all(bare_ids[i + 1] == text_close for i in opens)
    # the targets (reasoning, action, imagined frame) are untouched
    for segment in (REASONING, ACTION, IMAGINATION):
        assert (np.asarray(ids)[np.asarray(segments) == segment].tolist()
                == np.asarray(bare_ids)[np.asarray(bare_segments) == segment].tolist())


def test_a_plan_writes_the_actions_taken_next_after_each_step_s_own(vocab):
    """`plan_actions`: each step's <act> holds its action, then the ones taken next (the
    episode's later steps, fewer where it ends); all of them are action targets."""
    config = SequenceConfig(context_steps=2, history_actions=0, plan_actions=2)
    assert config.offsets()["action_text"] == [-1, 0, 1, 2]
    steps = ["move_left", "do", "place_table", "noop"]
    sample = {"image_tokens": np.zeros((3, 4, 4), int), "image_tokens_is_pad": np.zeros(3, bool),
              "text": [TASK] * 2, "text_is_pad": np.zeros(2, bool),
              "reasoning": ["a", "b"], "reasoning_is_pad": np.zeros(2, bool),
              "action_text": steps, "action_text_is_pad": np.zeros(4, bool)}
    ids, segments, _ = SequenceBuilder(vocab, config).sample(sample, TASK)
    act = vocab.id("<act>")
    opened = [k for k, i in enumerate(ids) if i == act]
    written = [[vocab.action_name(i) for i in ids[k + 1:k + 4]] for k in opened]
    assert written == [steps[0:3], steps[1:4]]
    assert (segments == ACTION).sum() == 6
    # the episode ends after the current step: its plan stops there
    sample["action_text_is_pad"] = np.array([False, False, False, True])
    ids, segments, _ = SequenceBuilder(vocab, config).sample(sample, TASK)
    assert [vocab.action_name(i) for i in ids[segments == ACTION]] == \
        ["move_left", "do", "place_table", "do", "place_table"]
    # a DAgger (or DART) store: the plan is the teacher's labels of the next steps, and it
    # stops where an executed action left the teacher's path (the later state followed it)
    sample["action_text_is_pad"] = np.zeros(4, bool)
    sample["teacher_action_text"] = ["move_left", "do", "move_up", "noop"]
    ids, segments, _ = SequenceBuilder(vocab, config).sample(sample, TASK)
    assert [vocab.action_name(i) for i in ids[segments == ACTION]] == \
        ["move_left", "do", "move_up", "do", "move_up"]
    assert config.label_offsets() == [-1, 0, 1, 2]
