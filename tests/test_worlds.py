import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rig.worlds
from rig.worlds import ActionParseError, UnknownWorldError, branch


# GUI worlds start a browser each: tests/test_miniwob.py checks them on a few tasks; Minetest
# worlds start an engine (tests/test_minetest.py checks one); MineDojo cannot run here
# (tests/test_minedojo.py checks its mapping).
@pytest.mark.parametrize("world_id", [w for w in rig.worlds.world_ids() if not w.startswith(
    ("rig/MiniWoB-", "rig/Minetest-", "rig/MineDojo-"))])
def test_every_world_passes_gymnasium_check_env(world_id):
    env = rig.worlds.make(world_id)
    check_env(env.unwrapped, skip_render_check=False)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)


def test_crafter_observation_and_info():
    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=3)
    assert obs["image"].shape == (64, 64, 3) and obs["image"].dtype == np.uint8
    assert "health 9/9" in obs["text"] and "Survive" in obs["text"]
    for key in ("inventory", "achievements", "semantic", "player_pos", "facing", "sleeping"):
        assert key in info
    assert info["semantic"].shape == (64, 64)
    player = rig.worlds.crafter.SEMANTIC_IDS["player"]
    assert info["semantic"][tuple(info["player_pos"])] == player


def test_crafter_says_what_took_health_as_the_game_itself_took_it(monkeypatch):
    """info["damage"] replays Crafter's rules on the state after a step; here the game's own
    updates are watched instead (the player's health around each zombie's and arrow's update,
    the player's lava check and its hunger/thirst/fatigue counter), and the two must agree on
    every step of random play, deaths included."""
    import crafter.objects as objects

    taken: dict[str, int] = {}

    def watch(cls, method, cause):
        original = getattr(cls, method)

        def watched(self, *args, **kwargs):
            player = self.world._objects[1] if cls is not objects.Player else self
            before = player.health
            result = original(self, *args, **kwargs)
            if player.health < before:
                taken[cause] = taken.get(cause, 0) + before - player.health
            return result
        monkeypatch.setattr(cls, method, watched)

    watch(objects.Zombie, "update", "zombie")
    watch(objects.Arrow, "update", "arrow")
    watch(objects.Player, "_move", "lava")
    watch(objects.Player, "_degen_or_regen_health", "necessity")
    env = rig.worlds.make("rig/Crafter-v0")
    rng = np.random.default_rng(0)
    causes, deaths = set(), []
    # random play, then an empty stomach and a sleeper (hunger's slower count), then lava ahead
    for seed, setup in ((5000, None), (5001, None), (5002, None), (5005, None),
                        (5003, "hungry"), (5004, "hungry sleeper"), (5006, "lava")):
        env.reset(seed=seed)
        game = env.unwrapped._env
        player = game._player
        assert game._world._objects[1] is player
        if setup and "hungry" in setup:
            player.inventory["food"] = player.inventory["drink"] = 0
            player.inventory["energy"] = 3  # below its most, so that `sleep` sleeps
        if setup == "lava":
            game._world[player.pos + np.array([1, 0])] = "lava"
        while True:
            taken.clear()
            action = int(rng.integers(17))
            if setup == "lava":
                action = rig.worlds.crafter.ACTION_NAMES.index("move_right")
            elif setup == "hungry sleeper":
                action = rig.worlds.crafter.ACTION_NAMES.index("sleep")
            _, _, terminated, truncated, info = env.step(action)
            said = dict(info["damage"])
            necessity = sum(said.pop(c, 0) for c in ("hunger", "thirst", "exhaustion"))
            if necessity:
                said["necessity"] = necessity
            assert said == taken, (seed, info["step"], said, taken)
            causes.update(said)
            if terminated or truncated:
                deaths.append(info.get("ended_by"))
                break
    assert {"zombie", "arrow", "necessity", "lava"} <= causes
    assert {"killed by a zombie", "walked into lava"} <= set(deaths) and all(d in (
        set(rig.worlds.crafter.DAMAGE_CAUSES.values())) for d in deaths)


def test_crafter_text_says_the_time_of_day_as_the_light_changes():
    """Two whole days of a player who only waits (healed by the test each step, so that the
    night's zombies do not end it): the text's time word is "night" exactly when the world's
    daylight is below the night threshold (the expert's), the light fades through "evening"
    into each night and comes back through "morning"."""
    from rig.worlds.crafter import NIGHT_DAYLIGHT

    env = rig.worlds.make("rig/Crafter-v0")
    noop = rig.worlds.crafter.ACTION_NAMES.index("noop")
    obs, info = env.reset(seed=0)
    words = []
    for step in range(600):
        word = obs["text"].splitlines()[1]
        assert (word == "Time: night.") == (info["daylight"] < NIGHT_DAYLIGHT), (step, word)
        if not words or words[-1] != word:
            words.append(word)
        env.unwrapped._env._player.health = 9
        obs, _, terminated, truncated, info = env.step(noop)
        assert not (terminated or truncated)
    cycle = [f"Time: {w}." for w in ("morning", "day", "evening", "night")]
    assert words[:6] == cycle + cycle[:2], words


def _rollout(env, seed, actions):
    obs, _ = env.reset(seed=seed)
    frames = [obs["image"]]
    for a in actions:
        obs, *_ = env.step(a)
        frames.append(obs["image"])
    return np.stack(frames)


def test_same_seed_same_world_and_frames_different_seed_differs():
    actions = np.random.default_rng(0).integers(0, 17, 60)
    a = _rollout(rig.worlds.make("rig/Crafter-v0"), 11, actions)
    b = _rollout(rig.worlds.make("rig/Crafter-v0"), 11, actions)
    c = _rollout(rig.worlds.make("rig/Crafter-v0"), 12, actions)
    assert np.array_equal(a, b)
    assert not np.array_equal(a[0], c[0])


def test_unseeded_reset_moves_on_to_new_worlds():
    env = rig.worlds.make("rig/Crafter-v0")
    first, _ = env.reset(seed=5)
    second, _ = env.reset()
    again, _ = env.reset(seed=5)
    assert np.array_equal(first["image"], again["image"])
    assert not np.array_equal(first["image"], second["image"])


def test_branch_steps_forward_while_original_stays_exactly_as_it_was():
    rng = np.random.default_rng(1)
    prefix, branch_actions, suffix = (rng.integers(0, 17, n) for n in (400, 80, 80))
    env = rig.worlds.make("rig/Crafter-v0")
    _rollout(env, 7, prefix)   # 400 steps in: past dusk, so night noise draws the world RNG
    copy = branch(env)
    branch_frames = [copy.step(a)[0]["image"] for a in branch_actions]
    original_frames = [env.step(a)[0]["image"] for a in suffix]
    # The original continues exactly as an untouched world would.
    reference = _rollout(rig.worlds.make("rig/Crafter-v0"), 7, np.concatenate([prefix, suffix]))
    assert np.array_equal(np.stack(original_frames), reference[-len(suffix):])
    # The branch continues exactly as the same world would under the branch's actions.
    reference = _rollout(rig.worlds.make("rig/Crafter-v0"), 7,
                         np.concatenate([prefix, branch_actions]))
    assert np.array_equal(np.stack(branch_frames), reference[-len(branch_actions):])
    assert not np.array_equal(np.stack(branch_frames), np.stack(original_frames))


def test_render_for_people_does_not_change_the_world():
    actions = np.random.default_rng(2).integers(0, 17, 450)
    plain = _rollout(rig.worlds.make("rig/Crafter-v0"), 3, actions)
    env = rig.worlds.make("rig/Crafter-v0", render_mode="rgb_array", render_size=128)
    obs, _ = env.reset(seed=3)
    frames = [obs["image"]]
    for a in actions:
        assert env.render().shape == (128, 128, 3)
        frames.append(env.step(a)[0]["image"])
    assert np.array_equal(plain, np.stack(frames))


def test_action_language_round_trip_and_errors():
    language = rig.worlds.make("rig/Crafter-v0").unwrapped.action_language
    for i, name in enumerate(language.vocabulary()):
        assert language.parse(language.format(i)) == i
    assert language.parse("  Move_Left ") == 1
    assert language.parse("do()") == 5
    for bad in ("", "fly", "move left", "do(1)", "import os", "click(3, 4)"):
        with pytest.raises(ActionParseError, match="legal actions"):
            language.parse(bad)
    with pytest.raises(ActionParseError):
        language.format(17)


def test_unknown_world_lists_the_valid_ones():
    with pytest.raises(UnknownWorldError, match="rig/Crafter-v0"):
        rig.worlds.make("rig/Minecraft-v9")


def test_bad_actions_and_order_are_refused():
    env = rig.worlds.make("rig/Crafter-v0")
    with pytest.raises(Exception):
        env.step(0)  # before reset
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside"):
        env.step(99)


def test_unknown_world_names_the_closest_and_lists_by_family():
    from rig.worlds import UnknownWorldError, make

    with pytest.raises(UnknownWorldError) as error:
        make("rig/MiniWoB-click-tset-v0")
    message = str(error.value)
    assert "did you mean: rig/MiniWoB-click-test-v0" in message
    assert "rig/MiniWoB-<task>-v0 for 128 MiniWoB++ web tasks" in message
    assert "rig/MiniWoB-click-button-v0" not in message  # the tasks are one pattern, not 128 ids
    with pytest.raises(UnknownWorldError, match="Minecraft-like worlds here are rig/Minetest-v0") as error:
        make("rig/MineDojo-harvest-v0")
    assert "did you mean" not in str(error.value)


def test_plain_gymnasium_makes_a_world_without_importing_rig_and_checks_it():
    """From a fresh interpreter that never imports rig: Gymnasium's `module:id` form, with
    Gymnasium's passive env checker in the wrapper chain, as for any registered env."""
    import subprocess
    import sys

    code = ("import gymnasium as gym\n"
            "env = gym.make('rig.worlds:rig/Crafter-v0')\n"
            "assert 'PassiveEnvChecker' in str(env), env\n"
            "obs, info = env.reset(seed=0)\n"
            "print(sorted(obs), env.step(env.action_space.sample())[1])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "'image'" in out.stdout and "'text'" in out.stdout
