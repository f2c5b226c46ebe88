"""`rig bench play` runs end to end, and the RIG policy decodes imagined pixels only when asked."""

import numpy as np

from rig.cli import main as rig_main


def test_bench_play_prints_both_agents(capsys):
    assert rig_main(["bench", "play", "--worlds", "2", "--steps", "2", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "untrained tiny policy" in out
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("2 "))
    assert float(row[1]) > 0 and float(row[2]) > 0   # random and policy world-steps/s


def test_imagined_pixels_only_when_someone_looks(tmp_path):
    import rig.worlds
    from rig.agents import make_agent
    from rig.eval.bench_play import untrained_policy

    folder = untrained_policy(tmp_path / "policy")
    env = rig.worlds.make("rig/Crafter-v0")
    agent = make_agent(f"rig:{folder}", env, seed=0)
    obs, info = env.reset(seed=0)
    looked = agent.act(obs, info)                     # by default decisions carry pixels
    assert looked.imagined_frame.shape == (64, 64, 3)
    agent.set_drawing(False)                          # as `rig eval`
    agent.reset(seed=0)
    blind = agent.act(obs, info)
    assert blind.imagined_frame is None and blind.imagined_tokens.shape == (9, 9)
    assert np.array_equal(blind.imagined_tokens, looked.imagined_tokens)  # same decision
    assert blind.action_text == looked.action_text and blind.reasoning == looked.reasoning
    env.close()
