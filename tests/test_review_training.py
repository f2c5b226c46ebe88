"""Review examples in the token stream and in `rig train policy`: the loss falls on the imagined
outcome, the review and the correction, never on the reviewed (possibly poor) proposal."""

import json
import re

import numpy as np
import pytest

from rig.cli import main
from rig.policy.sequence import (ACTION, IMAGINATION, REVIEW, STRUCTURE, SequenceBuilder,
                                SequenceConfig, review_offsets, review_sample)
from rig.trajectories.dataset import TrajectoryDataset
from rig.trajectories.store import TrajectoryStore


def test_review_example_without_review_words_puts_the_verdict_after_the_outcome(stores):
    """`review_words=False` (`--no-review-words`): `<review> <verdict> </review>`, the reasons
    left out, the rest of the example as with words."""
    from rig.policy.vocab import RigVocabulary
    from rig.worlds.crafter import ACTION_NAMES

    _, review = stores
    vocab = RigVocabulary.train(["I walk left toward the tree."] * 20, ACTION_NAMES,
                                codebook_size=32, text_vocab_size=200)
    store = TrajectoryStore.open(review, "r")
    configs = [SequenceConfig(context_steps=1, review_steps=1, review_words=w) for w in (1, 0)]
    dataset = TrajectoryDataset(store, review_offsets(configs[0]), first_steps_only=True)
    for i in range(len(dataset)):
        item = dataset[i]
        with_words, without = (review_sample(SequenceBuilder(vocab, c), item, "Survive.")[0]
                               for c in configs)
        opened = int(np.flatnonzero(without == vocab.id("<review>"))[0])
        verdict = vocab.id(f"<{item['review_verdict'][0]}>")
        assert list(without[opened + 1:opened + 3]) == [verdict, vocab.id("</review>")]
        words = vocab.encode_text(item["review"][0])[:2 * configs[0].max_reasoning_tokens]
        assert len(words) > 0 and len(with_words) == len(without) + len(words)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A short expert store, its review store (horizon 3), both tokenized (tiny tokenizer)."""
    from rig.imagination.tokenizer import ImageTokenizer, TokenizerConfig

    root = tmp_path_factory.mktemp("review-training")
    source, review = root / "expert.zarr", root / "review.zarr"
    assert main(["collect", "--out", str(source), "--agent", "expert", "--episodes", "2",
                 "--max-steps", "30", "--workers", "1"]) == 0
    assert main(["data", "review", "--data", str(source), "--out", str(review), "--every", "6",
                 "--horizon", "3", "--poor-actions", "2"]) == 0
    tokenizer = ImageTokenizer(TokenizerConfig(channels=[32, 32, 32, 32], latent_channels=8,
                                               codebook_size=32, code_dim=8, layers_per_block=1))
    tokenizer.save_pretrained(root / "tokenizer")
    for store in (source, review):
        assert main(["data", "tokenize", "--data", str(store), "--tokenizer",
                     str(root / "tokenizer"), "--device", "cpu"]) == 0
    return source, review


def test_review_example_layout_and_loss_segments(stores):
    from rig.policy.vocab import RigVocabulary
    from rig.worlds.crafter import ACTION_NAMES

    _, review = stores
    texts = ["I walk left toward the tree.", "Moving left runs into the tree: I would not move."]
    vocab = RigVocabulary.train(texts * 20, ACTION_NAMES, codebook_size=32, text_vocab_size=200)
    config = SequenceConfig(context_steps=1, review_steps=2)
    builder = SequenceBuilder(vocab, config)
    store = TrajectoryStore.open(review, "r")
    dataset = TrajectoryDataset(store, review_offsets(config), first_steps_only=True)
    assert len(dataset) == store.num_episodes  # one sample per example
    seen = set()
    for i in range(len(dataset)):
        item = dataset[i]
        ids, segments, _ = review_sample(builder, item, "Survive.")
        verdict = item["review_verdict"][0]
        seen.add(verdict)
        proposal = int(np.flatnonzero(ids == vocab.id("<act>"))[0]) + 1
        assert ids[proposal] == vocab.action_id(item["action_text"][0])
        assert segments[proposal] == STRUCTURE  # the proposal is never a target
        # the proposal's reasoning: what it was proposed with (input, never a target)
        think = int(np.flatnonzero(ids == vocab.id("<think>"))[0])
        close = int(np.flatnonzero(ids == vocab.id("</think>"))[0])
        own = str(item["reasoning"][0]) or (str(item["review_corrected_reasoning"][0]) if
                                            item["review_candidate_kind"][0] == "expert" else "")
        assert list(ids[think + 1:close]) == vocab.encode_text(own)[:config.max_reasoning_tokens]
        assert (segments[think:close + 1] == STRUCTURE).all()
        frames = 1 + int(not item["image_tokens_is_pad"][2] and not item["action_text_is_pad"][1])
        if item["image_tokens_is_pad"][1]:
            frames = 0
        assert (segments == IMAGINATION).sum() == frames * 64  # 8x8 tokens per imagined frame
        assert (ids == vocab.id("<imagined>")).sum() == max(frames - 1, 0)
        close = int(np.flatnonzero(ids == vocab.id("</review>"))[0])
        assert ids[close - 1] == vocab.id(f"<{verdict}>") and segments[close - 1] == REVIEW
        if verdict == "revise":  # the correction is the expert's recorded action, a target
            assert ids[-1] == vocab.action_id(item["review_corrected_action"][0])
            assert segments[-1] == ACTION
        else:
            assert ids[-1] == vocab.id("</review>") and (segments == ACTION).sum() == 0
    assert seen == {"accept", "revise"}


@pytest.fixture(scope="module")
def trained(stores, tmp_path_factory):
    source, review = stores
    out = tmp_path_factory.mktemp("review-policy") / "run"
    assert main(["train", "policy", str(source), str(review), "--out", str(out), "--steps", "3",
                 "--batch-size", "8", "--checkpoint-every", "3", "--eval-every", "3",
                 "--text-vocab", "200", "--device", "cpu", "--threads", "1",
                 "--val-fraction", "0"]) == 0
    return out


def test_train_policy_on_expert_and_review_stores(trained):
    lines = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert any("loss/review" in line for line in lines)  # review examples were trained on
    assert (trained / "final" / "rig_policy.json").exists()


def test_play_with_lookahead_shows_and_records_the_imagined_rollouts(trained, tmp_path):
    from rig.trajectories import TrajectoryStore
    record, shot = tmp_path / "played.zarr", tmp_path / "view.png"
    assert main(["play", "--agent", f"rig:{trained / 'final'}", "--max-steps", "3",
                 "--lookahead", "2", "--candidates", "2", "--record", str(record),
                 "--screenshot", str(shot), "--device", "cpu"]) == 0
    with TrajectoryStore.open(record, "r") as store:
        episode = store.episode(0)
    frames, made = episode["lookahead_frames"], episode["has_lookahead_frames"]
    assert frames.shape == (len(episode["action"]), 2, 2, 64, 64, 3) and made.all()
    assert frames[:, 0].reshape(len(frames), -1).max(1).min() > 0  # proposal 1: two frames
    for t, review in enumerate(episode["review"]):  # "a -> b? text [verdict] | ..."
        # the text is the tiny model's own and may hold any character ("[" too): count the
        # format's parts, a chain opening each proposal and a verdict closing it
        chains = re.findall(r"(?:^| \| )\w+ -> \w+\? ", review)
        verdicts = re.findall(r" \[(?:accept|revise)\](?= \| |$)", review)
        assert len(chains) == len(verdicts) >= 1, review
        reviewed = len(verdicts)
        assert not frames[t, reviewed:].any()          # proposals not made stay black
    from PIL import Image
    width, height = Image.open(shot).size
    assert (width, height) == (800, 672 + 224) and height % 16 == 0   # room for the strip


def test_a_lookahead_decision_carries_each_rollout_as_codes_that_decode_to_its_frames(trained):
    import numpy as np

    import rig.worlds
    from rig.agents.rig_agent import RigPolicy
    env = rig.worlds.make("rig/Crafter-v0")
    policy = RigPolicy(env, str(trained / "final"), seed=0, lookahead=2, candidates=2)
    policy.set_drawing(True, rollouts=True)
    obs, info = env.reset(seed=0)
    decision = policy.act(obs, info)
    codes = decision.extras["rollout_codes"]
    assert 1 <= len(codes) <= 2 and all(len(rollout) == 2 for rollout in codes)
    for c, rollout in enumerate(codes):  # the same frames the viewer draws, undecoded
        pixels = policy.tokenizer.decode(np.stack(rollout))
        assert np.array_equal(pixels, decision.lookahead_frames[c])


def test_eval_scaling_writes_reports_and_resumes(trained, tmp_path, capsys):
    out = tmp_path / "scaling"
    args = ["eval", "scaling", "--agent", f"rig:{trained / 'final'}", "--lookahead", "0", "1",
            "--candidates", "1", "2", "--episodes", "2", "--max-steps", "3", "--workers", "1",
            "--num-worlds", "2", "--out", str(out)]
    assert main(args) == 0
    record = json.loads((out / "scaling.json").read_text())
    assert sorted(record["settings"]) == ["lookahead=0,candidates=1", "lookahead=1,candidates=1",
                                          "lookahead=1,candidates=2"]
    flat, ahead = record["settings"]["lookahead=0,candidates=1"], \
        record["settings"]["lookahead=1,candidates=2"]
    assert flat["reviewed_share"] == 0 and ahead["reviewed_share"] == 1  # every step reviewed
    assert ahead["tokens_per_step"] > flat["tokens_per_step"]  # lookahead costs tokens
    assert len((out / "scaling.csv").read_text().splitlines()) == 4
    assert (out / "score_vs_lookahead.png").stat().st_size > 1000
    assert (out / "score_vs_compute.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(args) == 0  # resumed: nothing left to measure
    assert capsys.readouterr().out.count("already measured") == 3


def test_eval_ablation_trains_and_scores_every_variant(stores, tmp_path):
    source, review = stores
    out = tmp_path / "ablation"
    args = ["eval", "ablation", str(source), str(review), "--out", str(out), "--steps", "2",
            "--batch-size", "4", "--episodes", "2", "--max-steps", "3", "--workers", "1",
            "--num-worlds", "2", "--device", "cpu", "--threads", "1", "--free-running", "4"]
    assert main(args[:-1] + ["-1"]) == 2  # refused before anything trains
    assert not out.exists()
    assert main(args) == 0
    whole = json.loads((out / "ablation.json").read_text())
    record = whole["variants"]
    # the anchors on the same seeds: random, the stores' teacher, bc on the same stores
    anchors = whole["anchors"]
    assert list(anchors) == ["random", "bc baseline", "teacher (expert)"]
    assert anchors["bc baseline"]["agent"] == f"bc:{out / 'bc' / 'final'}"
    assert anchors["bc baseline"]["train_steps"] >= 1
    bc_meta = json.loads((out / "bc" / "final" / "bc_policy.json").read_text())
    assert bc_meta["train"]["data"] == [str(source)]  # the same stores, reviews left out
    assert list(record) == ["action only", "+ imagination", "+ reasoning", "RIG-basic",
                            "RIG-lookahead"]
    assert record["RIG-lookahead"]["checkpoint"] == record["RIG-basic"]["checkpoint"]
    assert record["RIG-lookahead"]["lookahead"] == 1 and record["RIG-basic"]["lookahead"] == 0
    assert all(r["train_steps"] == 2 for r in record.values())
    basic = json.loads((out / "reasoning-1-imagination-1" / "final" / "rig_policy.json")
                       .read_text())
    only = json.loads((out / "reasoning-0-imagination-0" / "final" / "rig_policy.json")
                      .read_text())
    assert len(basic["train"]["data"]) == 2 and len(only["train"]["data"]) == 1  # no reviews
    assert basic["train"]["free_running"] == only["train"]["free_running"] == 4
    assert not only["sequence"]["reasoning"] and not only["sequence"]["imagination"]
    table = (out / "ablation.md").read_text()
    assert table.count("\n") == 10 and "RIG-lookahead" in table and "bc baseline" in table


def test_fine_tuning_a_rig_policy_keeps_its_vocabulary(stores, trained, tmp_path):
    source, review = stores
    out = tmp_path / "tuned"
    assert main(["train", "policy", str(source), str(review), "--out", str(out), "--steps", "2",
                 "--batch-size", "4", "--init-from", str(trained / "final"), "--device", "cpu",
                 "--threads", "1", "--val-fraction", "0", "--checkpoint-every", "2"]) == 0
    for name in ("vocab.json", "tokenizer.json"):
        assert (out / "final" / name).read_text() == (trained / "final" / name).read_text()


def test_a_reviewer_is_trained_at_the_lookahead_it_will_judge_at(stores, trained, tmp_path,
                                                                  capsys):
    source, review = stores  # reviewed with --horizon 3: two outcome frames per example
    out = tmp_path / "two-steps"
    assert main(["train", "policy", str(source), str(review), "--out", str(out), "--steps", "2",
                 "--batch-size", "4", "--init-from", str(trained / "final"), "--device", "cpu",
                 "--threads", "1", "--val-fraction", "0", "--checkpoint-every", "2",
                 "--review-steps", "2"]) == 0
    saved = json.loads((out / "final" / "rig_policy.json").read_text())
    assert saved["sequence"]["review_steps"] == 2
    assert main(["train", "policy", str(source), str(review), "--out", str(tmp_path / "three"),
                 "--steps", "2", "--batch-size", "4", "--init-from", str(trained / "final"),
                 "--device", "cpu", "--threads", "1", "--val-fraction", "0",
                 "--review-steps", "3"]) != 0
    assert re.search(r"--horizon 3: .* --review-steps 3 needs 3", capsys.readouterr().err)


def test_a_verdict_target_of_value_regresses_p_accept_on_the_own_outcome():
    """`--verdict-target value`: the verdict's soft target is (v + 1) / 2 for the candidate's
    own outcome v; the loss at it is -(s log P(accept) + (1 - s) log P(revise)), least where
    P(accept) : P(revise) = s : (1 - s); other targets keep their plain cross-entropy."""
    import torch

    from rig.policy.grammar import ACTION, REVIEW
    from rig.train.train_policy import weighted_loss
    from rig.trajectories.review import accept_share_target

    def facts(reward, died=False):
        return json.dumps({"candidate": {"reward": reward, "died": died}, "expert": {}})

    assert accept_share_target(facts(0.0)) == 0.5
    assert accept_share_target(facts(1.0)) == 1.0          # an achievement
    assert accept_share_target(facts(-0.1)) == pytest.approx(0.45)  # a health point lost
    assert accept_share_target(facts(-0.2, died=True)) == 0.0  # a death: clipped at -1
    with pytest.raises(Exception, match="review_facts is unreadable"):
        accept_share_target("{}")

    accept, revise, vocab = 5, 6, 8
    # two rows: a verdict (after <review>, id 4) and an action target
    ids = torch.tensor([[1, 4, revise, 7], [1, 4, accept, 3]])
    segments = torch.tensor([[0, 0, REVIEW, REVIEW], [0, 0, REVIEW, ACTION]])
    mask = torch.ones_like(ids)
    weights = {"review": 1.0, "action": 1.0}
    logits = torch.randn(2, 4, vocab, requires_grad=True)
    shares = torch.tensor([0.7, float("nan")])  # the second row keeps its stored verdict
    loss, metrics = weighted_loss(logits, ids, segments, mask, weights, (accept, revise, shares))
    logp = torch.log_softmax(logits.detach(), -1)
    expected = [-(0.7 * logp[0, 1, accept] + 0.3 * logp[0, 1, revise]), -logp[0, 2, 7],
                -logp[1, 1, accept], -logp[1, 2, 3]]
    assert loss.item() == pytest.approx(float(sum(expected) / 4), rel=1e-5)
    assert metrics["loss/verdict_value"] == pytest.approx(float(expected[0]), rel=1e-5)
    # gradient descent on the verdict alone brings P(accept) / (P(accept) + P(revise)) to s
    verdict = torch.zeros(1, 4, vocab, requires_grad=True)
    optimiser = torch.optim.SGD([verdict], lr=2.0)
    for _ in range(300):
        optimiser.zero_grad()
        weighted_loss(verdict, ids[:1], segments[:1], mask[:1], {"review": 1.0},
                      (accept, revise, shares[:1]))[0].backward()
        optimiser.step()
    pair = torch.softmax(verdict.detach()[0, 1, [accept, revise]], -1)
    assert pair[0].item() == pytest.approx(0.7, abs=0.01)


def test_train_a_value_reviewer_and_refuse_it_with_review_words(stores, tmp_path, capsys):
    source, review = stores
    out = tmp_path / "value"
    assert main(["train", "policy", str(source), str(review), "--out", str(out), "--steps", "2",
                 "--batch-size", "8", "--text-vocab", "200", "--device", "cpu", "--threads",
                 "1", "--val-fraction", "0", "--checkpoint-every", "2", "--eval-every", "2",
                 "--verdict-target", "value", "--no-review-words", "--mix", "0", "1"]) == 0
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("loss/verdict_value" in line for line in lines)
    saved = json.loads((out / "final" / "rig_policy.json").read_text())
    assert saved["train"]["verdict_target"] == "value"
    assert main(["train", "policy", str(source), str(review), "--out", str(tmp_path / "words"),
                 "--steps", "1", "--verdict-target", "value"]) == 2
    assert "--no-review-words" in capsys.readouterr().err
