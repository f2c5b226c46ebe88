"""`rig play`: watch an agent play, in a window or headless, and keep what happened.

Role in the data flow: builds a world and an agent by name, runs episodes through
`rig.rollout.run_episode`, and sends every step to the viewer (window, video, screenshot) and, when
asked, to a trajectory store. Ends with the run's summary table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rig.agents.options import PolicyOptions
from rig.config import ConfigError, option, require, require_parent

VIDEO_SUFFIXES = (".mp4", ".gif")


@dataclass
class PlayConfig(PolicyOptions):
    world: str = option("rig/Crafter-v0", "world id (`rig worlds` lists them)")
    agent: str | None = option(None, "agent: random | human | expert | expert:player | "
                               "ppo:PATH | rig:PATH | bc:PATH (none: on Crafter the shipped "
                               "policy, rig:crafter, which reasons, acts and imagines; "
                               "elsewhere the world's expert)")
    episodes: int | None = option(None, "number of episodes to play (none: one per world, so "
                                  "--num-worlds 4 plays 4 episodes at once)")
    seed: int = option(0, "seed of the first episode; episode i uses seed + i")
    max_steps: int | None = option(None, "stop an episode after this many steps "
                                   "(none: the world's own limit, 10000 for Crafter)")
    render: str = option("window", "window: a live pygame window (falls back to none without "
                         "a display); none: headless", choices=["window", "none"])
    fps: float = option(15.0, "frames per second in the window (0: as fast as possible)")
    video: str | None = option(None, "write the viewer to this .mp4 or .gif")
    video_fps: float = option(10.0, "frames per second of the video")
    screenshot: str | None = option(None, "save the viewer's last frame to this .png")
    num_worlds: int = option(1, "worlds played in lockstep (a batched agent such as rig:PATH "
                             "decodes them in one batch); the viewer shows the first")
    record: str | None = option(None, "append the played episodes (reasoning, actions, frames) "
                                "to this trajectory store (created if missing)")
    quiet: bool = option(False, "headless play: do not print each step (step, action, reward, "
                         "reasoning, and a policy's imagining and review); summaries only")

    def validate(self) -> None:
        if self.agent is None:
            self.agent = default_agent(self.world)
        self.validate_policy_options()
        require(self.num_worlds >= 1, f"--num-worlds must be at least 1, got {self.num_worlds}")
        if self.episodes is None:
            self.episodes = self.num_worlds
        require(self.episodes >= 1, f"--episodes must be at least 1, got {self.episodes}")
        require(self.max_steps is None or self.max_steps >= 1,
                f"--max-steps must be at least 1, got {self.max_steps}")
        require(self.seed >= 0, f"--seed must be >= 0, got {self.seed}")
        require(self.fps >= 0, f"--fps must be >= 0, got {self.fps}")
        require(self.video_fps > 0, f"--video-fps must be > 0, got {self.video_fps}")
        if self.video is not None:
            require(Path(self.video).suffix.lower() in VIDEO_SUFFIXES,
                    f"--video must end in .mp4 or .gif, got {self.video!r}")
            require_parent(self.video, "--video")
        if self.screenshot is not None:
            require(Path(self.screenshot).suffix.lower() == ".png",
                    f"--screenshot must end in .png, got {self.screenshot!r}")
            require_parent(self.screenshot, "--screenshot")
        if self.record is not None:
            require_parent(self.record, "--record")


def default_agent(world: str) -> str:
    """What plain `rig play` shows: the shipped policy where one exists for the world (Crafter),
    else the world's explaining expert."""
    from rig.config import PRETRAINED_DIR, SHIPPED

    crafter = world.startswith("rig/Crafter")
    shipped = (PRETRAINED_DIR / SHIPPED["policy"]["crafter"] / "rig_policy.json").is_file()
    return "rig:crafter" if crafter and shipped else "expert"


def _extras_text(extras: dict) -> str:
    shown = {k: v for k, v in extras.items() if isinstance(v, (int, float))}
    return "" if not shown else " (" + ", ".join(f"{k} {v}" for k, v in shown.items()) + ")"


def _video_writer(path: str, fps: float):
    import imageio.v2 as imageio

    if path.lower().endswith(".gif"):
        return imageio.get_writer(path, mode="I", duration=1000.0 / fps, loop=0)
    return imageio.get_writer(path, fps=fps, codec="libx264", quality=7, macro_block_size=8)


def step_line(world: int, worlds: int, episode: int, step: int, decision, reward: float) -> str:
    """One headless step as a line a person reads: where, what, why, and what the agent
    imagined or reviewed."""
    where = f"w{world} " if worlds > 1 else ""
    line = f"{where}ep {episode} step {step:4d}  {decision.action_text:<18} {reward:+5.1f}"
    if decision.reasoning:
        line += f"  {decision.reasoning}"
    if decision.imagined_tokens is not None or decision.imagined_frame is not None:
        line += "  [imagined the next frame]"
    if decision.review:
        line += f"  [review: {decision.review}]"
    return line


def play(config: PlayConfig) -> int:
    from rich.console import Console

    import rig.worlds
    from rig.agents import agents_in, make_agents, parse_agent
    from rig.rollout import run_batch

    from .report import print_summary, summarize
    from .viewer import Viewer, display_available

    console = Console(stderr=False)
    from rig.rollout.pool import set_threads

    set_threads(config.threads)  # one process: torch's default threads unless asked
    window = config.render == "window"
    if window and not display_available():
        console.print("[yellow]note:[/yellow] no display found, playing headless "
                      "(use --video or --screenshot to see the episode)")
        window = False
    if parse_agent(config.agent).kind.interactive and not window:
        raise ConfigError("the human agent needs a window and no display is available")
    envs = [rig.worlds.make(config.world, render_mode="rgb_array")
            for _ in range(min(config.num_worlds, config.episodes))]
    env = envs[0]
    drawing = window or config.video is not None or config.screenshot is not None
    rollouts = (config.candidates, config.lookahead) if config.lookahead else None
    viewer = Viewer(window, title=f"RIG - {config.world}", fps=config.fps,
                    rollouts=rollouts) if drawing else None
    if window:
        console.print("[dim]window: Enter pauses and resumes, . plays one step while paused, "
                      "Esc quits[/dim]")
    agents = make_agents(config.agent, envs, seed=config.seed, viewer=viewer,
                         **config.policy_options())
    # imagined pixels (and a reviewing policy's whole imagined rollout) where someone looks
    looked_at = bool(drawing or config.record)
    for agent in agents_in(agents):
        agent.set_drawing(looked_at, rollouts=looked_at)
    writer = _video_writer(config.video, config.video_fps) if config.video else None
    store = None
    if config.record:
        from rig.trajectories.store import TrajectoryStore

        store = TrajectoryStore.open(config.record, mode="a")
    results = []
    stream = not window and not config.quiet  # headless: show the thinking step by step
    try:
        for first_episode in range(0, config.episodes, len(envs)):
            count = min(len(envs), config.episodes - first_episode)
            seeds = [config.seed + first_episode + w for w in range(count)]
            builders = []
            if store is not None:
                from rig.trajectories.episode import EpisodeBuilder

                builders = [EpisodeBuilder(world_id=config.world, seed=seed, agent=config.agent,
                                           task_text=env.get_wrapper_attr("task_text")())
                            for seed in seeds]

            def on_step(world, step, obs, decision, reward, terminated, truncated, info, so_far,
                        episode=first_episode, builders=builders):
                if builders:
                    builders[world].add_step(obs, decision, reward, terminated, truncated, info)
                if stream and decision is not None:
                    console.print(step_line(world, len(envs), episode + world, step, decision,
                                            reward), markup=False, highlight=False,
                                  soft_wrap=True)  # one line a step: grep-able
                if viewer is None or world != 0:
                    return
                viewer.draw(env.render(), decision, step=step,
                            episode_return=so_far.episode_return,
                            achievements=so_far.achievements, world=config.world,
                            agent=config.agent, episode=episode,
                            observation_text=obs.get("text", ""))
                viewer.show()
                if writer is not None:
                    writer.append_data(viewer.canvas())

            batch = run_batch(envs[:count], agents, seeds, agent_spec=config.agent,
                              max_steps=config.max_steps, on_step=on_step,
                              should_stop=(lambda: viewer.closed) if viewer else None)
            for w, result in enumerate(batch):
                results.append(result)
                if builders and len(builders[w]):
                    index = store.append_episode(builders[w])
                    console.print(f"recorded as episode {index} of {config.record}")
                console.print(f"episode {first_episode + w} (seed {result.seed}): return "
                              f"{result.episode_return:.1f}, length {result.length}, "
                              f"{len(set(result.achievements))} achievements, ended by "
                              f"{result.end}" + _extras_text(result.extras))
            if viewer is not None and viewer.closed:
                break
    except KeyboardInterrupt:
        console.print("[yellow]stopped[/yellow]; summary of the finished episodes:")
    finally:
        if viewer is not None and config.screenshot:
            viewer.screenshot(config.screenshot)
            console.print(f"screenshot: {config.screenshot}")
        if writer is not None:
            writer.close()
            console.print(f"video: {config.video}")
        if viewer is not None:
            viewer.close()
        if store is not None:
            store.close()
        for agent in agents_in(agents):
            agent.close()
        for world in envs:
            world.close()
    print_summary(summarize(results), console)
    return 0
