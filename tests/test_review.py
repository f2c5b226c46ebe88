"""`rig data review`: lookahead review examples from the simulator, checked against the world."""

import json
import re
import shutil

import numpy as np
import pytest

from rig.cli import main
from rig.config import ConfigError, RigError
from rig.trajectories.review import DataReviewConfig, compare, data_review
from rig.trajectories.store import TrajectoryStore

HORIZON = 4


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("review") / "expert.zarr"
    assert main(["collect", "--out", str(path), "--agent", "expert", "--episodes", "2",
                 "--max-steps", "40", "--workers", "1"]) == 0
    return path


def review(data, out, **options):
    config = DataReviewConfig(data=str(data), out=str(out),
                              **{"every": 5, "horizon": HORIZON, "poor_actions": 3, **options})
    config.validate()
    return data_review(config)


@pytest.fixture(scope="module")
def reviewed(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "review.zarr"
    assert review(source, out) == 0
    return out


def examples(path):
    """(first-step review keys, the whole example) per stored example."""
    rows = []
    with TrajectoryStore.open(path) as store:
        for i in range(store.num_episodes):
            ep = store.episode(i)
            first = {k: (str(v[0]) if v.dtype.kind in "TU" else v[0].item())
                     for k, v in ep.items() if k.startswith("review") or k == "action_text"}
            first["facts"] = json.loads(first.pop("review_facts"))
            rows.append((first, ep))
    return rows


def key(first, ep):
    return (ep["meta"]["seed"], first["review_source_step"], first["action_text"])


def test_review_store_is_a_readable_store_with_verdicts_and_corrections(source, reviewed,
                                                                       capsys):
    assert main(["data", "check", str(reviewed)]) == 0
    assert main(["data", "show", str(reviewed), "--episode", "1"]) == 0
    assert "review:" in capsys.readouterr().out
    rows = examples(reviewed)
    with TrajectoryStore.open(source) as src:
        episodes = [src.episode(i) for i in range(src.num_episodes)]
    states = {}
    for first, ep in rows:
        states.setdefault((first["review_source_episode"], first["review_source_step"]),
                          []).append(first)
        s = episodes[first["review_source_episode"]]
        t = first["review_source_step"]
        assert ep["meta"]["seed"] == s["meta"]["seed"] and ep["meta"]["agent"] == "review"
        n = len(ep["action"])
        assert 1 <= n <= HORIZON
        assert np.array_equal(ep["image"][0], s["image"][t])  # the state under review
        assert ep["has_imagined_frame"].all()  # the frame after each step: the outcome
        assert np.array_equal(ep["imagined_frame"][:-1], ep["image"][1:])
        # the first step holds the reasoning its candidate was proposed with: the expert's
        # own, none for a sampled action; then the expert's reasoning as it continues
        proposed = str(s["reasoning"][t]) if first["review_candidate_kind"] == "expert" else ""
        assert str(ep["reasoning"][0]) == proposed and all(str(r) for r in ep["reasoning"][1:])
        assert str(ep["review"][0]) and not any(str(r) for r in ep["review"][1:])
        assert first["review_verdict"] in ("accept", "revise")
        # the correction is the expert's recorded decision at t
        assert first["review_corrected_action"] == str(s["action_text"][t])
        assert first["review_corrected_reasoning"] == str(s["reasoning"][t])
        if first["review_candidate_kind"] == "expert":
            assert first["review_verdict"] == "accept"
            assert first["action_text"] == str(s["action_text"][t])
            # the expert's branch is the recorded future
            assert [str(a) for a in ep["action_text"]] == [str(a) for a in
                                                           s["action_text"][t:t + n]]
        else:
            assert first["action_text"] != str(s["action_text"][t])
    assert len(states) == 16  # steps 0, 5, ..., 35 of 2 episodes (none asleep that early)
    for candidates in states.values():
        assert [c["review_candidate_kind"] for c in candidates].count("expert") == 1
        assert len(candidates) == 4 and len({c["action_text"] for c in candidates}) == 4
    verdicts = {(f["review_candidate_kind"] == "expert", f["review_verdict"]) for f, _ in rows}
    assert (True, "accept") in verdicts and (False, "revise") in verdicts
    assert len({key(f, ep) for f, ep in rows}) == len(rows)


def test_a_policys_proposal_keeps_the_reasoning_it_was_made_with(source, tmp_path):
    """At test time every proposal comes with the policy's reasoning; review examples of the
    policy's choices must too, or "words present" would mean "the expert's: accept"."""
    out = tmp_path / "policy-review.zarr"
    assert review(source, out, policy="rig:crafter", poor_actions=0, episodes=1, every=10,
                  policy_samples=4) == 0
    rows = [(f, ep) for f, ep in examples(out) if f["review_candidate_kind"] == "policy"]
    assert rows, "the shipped policy agreed with the expert at every state; pick other steps"
    by_state = {}
    for first, _ in rows:  # each distinct sampled choice once per state
        by_state.setdefault(first["review_source_step"], []).append(first["action_text"])
    assert all(len(set(a)) == len(a) for a in by_state.values())
    assert max(len(a) for a in by_state.values()) >= 2, "4 samples never chose 2 other actions"
    for first, ep in rows:
        words = str(ep["reasoning"][0])
        assert words and words != first["review_corrected_reasoning"]
        assert first["action_text"] != first["review_corrected_action"]
        assert first["action_text"].split()[0] in words.lower() or "I " in words


def test_branches_continued_by_the_policy_replay_from_one_seed_per_state(source, tmp_path):
    """`--continue-with policy`: after its candidate every branch is played by the reviewed
    policy, reset to the state's one sampling seed, as the real-outcome oracle's branches are;
    rebuilding the world and the policy reproduces each stored continuation step."""
    import rig.worlds
    from rig.agents import make_agent
    from rig.trajectories.review import continuation

    out = tmp_path / "continued.zarr"
    assert review(source, out, policy="rig:crafter", continue_with="policy", poor_actions=2,
                  episodes=1, every=10, horizon=3, verdict_by="outcome") == 0
    config = DataReviewConfig(data=str(source), out=str(out), policy="rig:crafter",
                              continue_with="policy")
    env = rig.worlds.make("rig/Crafter-v0")
    policy = make_agent("rig:crafter", env, imagine=False)
    with TrajectoryStore.open(source) as store:
        recorded = store.episode(0, keys=["action"])
    rows = examples(out)
    assert len(rows) >= 6
    continued = 0
    for first, ep in rows:
        seed, t = int(ep["meta"]["seed"]), int(first["review_source_step"])
        obs, info = env.reset(seed=seed)
        for a in recorded["action"][:t]:
            obs, _, _, _, info = env.step(int(a))
        agent = continuation(None, policy, config, seed, t)
        obs, _, terminated, _, info = env.step(int(ep["action"][0]))
        for k in range(1, len(ep["action"])):
            assert not terminated
            decision = agent.act(obs, info)
            assert int(decision.action) == int(ep["action"][k])
            assert decision.reasoning == str(ep["reasoning"][k])
            obs, _, terminated, _, info = env.step(int(decision.action))
            continued += 1
    assert continued >= 10
    env.close()
    with pytest.raises(ConfigError, match="--continue-with policy needs --policy"):
        review(source, tmp_path / "x.zarr", continue_with="policy")
    with pytest.raises(ConfigError, match="--continue-with"):
        review(source, tmp_path / "y.zarr", continue_with="teacher")


def test_compare_accepts_an_equal_branch_and_names_each_loss():
    base = {"action": "move_left", "steps": 4, "moved": True, "first_effect": True,
            "died": None, "vitals": {"health": [9, 9]}, "achievements": ["collect_wood"],
            "delta": {"wood": 1}, "distance": [5, 4, 2], "reward": 1.0}
    assert compare(dict(base), base, 0) == []
    worse = dict(base, moved=False, vitals={"health": [9, 7]}, achievements=[], delta={},
                 distance=[5, 5, 4])
    kinds = [w[0] for w in compare(worse, base, 0)]
    assert kinds == ["blocked", "health", "achievements", "item", "distance"]
    assert compare(dict(base, distance=[5, 4, 3]), base, 1) == []  # within --tolerance


def test_review_texts_state_only_what_the_branch_showed(source, reviewed):
    import rig.worlds
    env = rig.worlds.make("rig/Crafter-v0")
    names = env.unwrapped.action_language
    with TrajectoryStore.open(source) as src:
        episodes = [src.episode(i) for i in range(src.num_episodes)]
    checked = {"moves": 0, "blocked": 0, "numbers": 0}
    for first, ep in examples(reviewed):
        text, facts = str(ep["review"][0]), first["facts"]
        c, e = facts["candidate"], facts["expert"]
        # the world itself, rebuilt independently: what did the candidate's first step do?
        s = episodes[first["review_source_episode"]]
        obs, info = env.reset(seed=int(s["meta"]["seed"]))
        for a in s["action"][:first["review_source_step"]]:
            obs, *_, info = env.step(int(a))
        before = info["player_pos"].copy()
        obs, *_, info = env.step(names.parse(first["action_text"]))
        assert np.array_equal(obs["image"], ep["imagined_frame"][0])
        moved = not np.array_equal(before, info["player_pos"])
        assert c["moved"] == moved
        if first["action_text"].startswith("move_"):
            checked["moves"] += 1
            assert ("would not move" in text) == (not moved), text
            checked["blocked"] += not moved
        if "wastes a step" in text or "costs me a step" in text:
            assert not c["first_effect"] or (not moved and e["moved"]), text
        for mine, plan in re.findall(r"(\d+) tiles? (?:away )?instead of (\d+)", text):
            assert [int(mine), int(plan)] == [c["distance"][2], e["distance"][2]], text
            checked["numbers"] += 1
        for got, item, plan in re.findall(r"I gain (no|\d+) (\w+) where my plan gains (\d+)",
                                          text):
            assert c["delta"].get(item, 0) == (0 if got == "no" else int(got)), text
            assert e["delta"][item] == int(plan), text
            checked["numbers"] += 1
        for lost in re.findall(r"(?:lose|loses) (\d+) health", text):
            assert c["vitals"]["health"][0] - c["vitals"]["health"][1] == int(lost), text
        if "I miss " in text:
            assert set(e["achievements"]) - set(c["achievements"]), text
        if first["review_verdict"] == "revise":
            assert "Better:" in text or "instead" in text
    assert checked["moves"] and checked["blocked"] and checked["numbers"], checked


def test_a_tampered_frame_fails_the_replay_check(source, tmp_path):
    tampered = tmp_path / "tampered.zarr"
    shutil.copytree(source, tampered)
    with TrajectoryStore.open(tampered, "a") as store:
        frame = store.data["image"][7]
        store.data["image"][7] = 255 - frame
    with pytest.raises(RigError, match=r"episode 0 \(seed 0\) step 7: the replayed frame differs"):
        review(tampered, tmp_path / "out.zarr")


def test_a_second_run_resumes_without_duplicates(source, reviewed, tmp_path, capsys):
    out = tmp_path / "resumed.zarr"
    shutil.copytree(reviewed, out)
    before = examples(out)
    assert review(source, out) == 0
    assert "0 new examples" in capsys.readouterr().out
    assert len(examples(out)) == len(before)
    assert review(source, out, poor_actions=4) == 0   # one more candidate per state
    after = examples(out)
    assert len(after) == len(before) + 16
    assert len({key(f, ep) for f, ep in after}) == len(after)
    old = {key(f, ep): str(ep["review"][0]) for f, ep in before}
    assert all(old[key(f, ep)] == str(ep["review"][0]) for f, ep in after[:len(before)])


def test_clear_errors_for_stores_that_cannot_be_reviewed(source, reviewed, tmp_path):
    from rig.trajectories.synthetic import fill_store
    unseeded = fill_store(tmp_path / "unseeded.zarr", episodes=1, seed=-1)
    with pytest.raises(RigError, match="has no seed"):
        review(unseeded, tmp_path / "a.zarr")
    unknown = fill_store(tmp_path / "unknown.zarr", episodes=1, world_id="rig/Nope-v0")
    with pytest.raises(RigError, match="does not know"):
        review(unknown, tmp_path / "b.zarr")
    plain = tmp_path / "plain.zarr"
    shutil.copytree(source, plain)
    with pytest.raises(RigError, match="not review examples"):
        review(source, plain)
    with pytest.raises(ConfigError, match="rig:CKPT"):
        review(source, tmp_path / "d.zarr", policy="expert")
    with pytest.raises(RigError, match="not a RIG policy checkpoint"):
        review(source, tmp_path / "e.zarr", policy=f"rig:{tmp_path}")
    with pytest.raises(RigError, match="does not exist"):
        review(tmp_path / "missing.zarr", tmp_path / "f.zarr")
    with pytest.raises(ConfigError, match="--policy-samples"):
        review(source, tmp_path / "g.zarr", policy="rig:crafter", policy_samples=0)


def test_the_expert_that_recorded_the_store_continues_and_corrects(tmp_path):
    """A store of the player-view expert in its act-first wording: the shadow is that expert,
    so its choices are the recorded ones (no "recorded" candidates) and the corrections are in
    the store's own words; `--expert expert` makes the full-view expert the judge instead."""
    data = tmp_path / "player.zarr"
    assert main(["collect", "--out", str(data), "--agent", "expert:player,act-first",
                 "--episodes", "1", "--max-steps", "30", "--workers", "1"]) == 0
    out = tmp_path / "player-review.zarr"
    assert review(data, out, every=10, horizon=2, poor_actions=1) == 0
    with TrajectoryStore.open(data) as src:
        recorded = src.episode(0)
    rows = examples(out)
    assert rows and {f["review_candidate_kind"] for f, _ in rows} == {"expert", "sampled"}
    for first, _ in rows:
        t = first["review_source_step"]
        assert first["review_corrected_reasoning"] == str(recorded["reasoning"][t])
        assert first["review_corrected_action"] == str(recorded["action_text"][t])
    with pytest.raises(ConfigError, match="--expert"):
        review(data, tmp_path / "bad.zarr", expert="rig:crafter")


def test_outcome_verdicts_revise_exactly_what_earned_less_than_the_best_candidate(source,
                                                                                   tmp_path):
    from rig.trajectories.review import outcome_value

    out = tmp_path / "outcome.zarr"
    assert review(source, out, every=3, horizon=2, poor_actions=5, verdict_by="outcome") == 0
    states: dict = {}
    for first, ep in examples(out):
        states.setdefault((ep["meta"]["seed"], first["review_source_step"]), []).append(first)
    assert len(states) >= 10
    revised = 0
    for rows in states.values():
        values = [outcome_value(r["facts"]["candidate"]) for r in rows]
        best = max(values)
        for r, v in zip(rows, values):
            facts = r["facts"]
            assert facts["verdict_by"] == "outcome"
            assert outcome_value(facts["reference"]) == pytest.approx(best)
            # the verdict is the oracle's question: did another candidate here earn more?
            assert r["review_verdict"] == ("revise" if v < best - 1e-6 else "accept")
            if r["review_verdict"] == "revise":
                revised += 1
                assert facts["worse"] and {w[0] for w in facts["worse"]} <= {
                    "died", "health", "achievements", "reward"}
        # the correction: the expert's step where it earned the best, else one that did
        expert = [(r, v) for r, v in zip(rows, values) if r["review_candidate_kind"] == "expert"]
        assert len(expert) == 1 and len({r["review_corrected_action"] for r in rows}) == 1
        wanted = expert[0][0]["action_text"] if expert[0][1] == best else None
        corrected = rows[0]["review_corrected_action"]
        assert corrected == wanted if wanted else \
            corrected in [r["action_text"] for r, v in zip(rows, values) if v == best]
    assert revised > 0
    with pytest.raises(ConfigError, match="--verdict-by"):
        DataReviewConfig(data=str(source), out=str(tmp_path / "x.zarr"),
                         verdict_by="teacher").validate()
