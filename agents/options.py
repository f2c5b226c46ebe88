"""Options of the RIG policy agent that `rig play` and `rig eval` share (one definition)."""

from __future__ import annotations

from dataclasses import dataclass

from rig.config import option, require


@dataclass
class PolicyOptions:
    imagine: bool = option(True, "let a policy that imagines draw its imagined next frame "
                           "(--no-imagine: act without it, several times faster)")
    device: str = option("cpu", "where a neural policy runs: cpu | cuda | auto")
    temperature: float = option(1.0, "a learned policy's sampling temperature: the RIG "
                                "policy's reasoning and action, the bc baseline's action (0: "
                                "greedy)")
    lookahead: int = option(0, "RIG-lookahead: imagine this many steps of a proposed action, "
                            "review them and maybe revise before acting (0: act directly)")
    candidates: int = option(1, "with --lookahead: proposals reviewed per step at most (a "
                             "revision past the budget is acted on unreviewed)")
    votes: int = option(1, "self-consistency: the RIG policy writes this many reasonings a "
                        "step (sampled, decoded in one batch) and acts on the action most of "
                        "them chose (ties: the earliest sample); N times the decoding "
                        "(context-1 policies, no lookahead)")
    follow_plan: str = option("first", "a RIG policy trained with --plan-actions P writes the "
                              "P actions it expects to take next: first (act on the step's own "
                              "action alone; the best measured, docs/policy.md entry 23), vote "
                              "(decide every step, act on the action most of the last P + 1 "
                              "decisions named for it) or commit (take the plan's actions "
                              "without deciding: one decision per P + 1 steps, ~3x faster)")
    judge_margin: float | None = option(None, "judge-value: how far (in P(accept) share) the "
                                        "best proposal must beat the first sample's to be acted "
                                        "on instead (default 0.05, 0.1 of reward); choose it on "
                                        "validation seeds: `rig eval verdict` scores the value "
                                        "rule at several margins")
    oracle_futures: int = option(0, "the oracle agent: value each proposal by the mean reward "
                                 "of this many branches with re-drawn chance (the world's rules "
                                 "and state, not its dice); 0: the branches throw the real "
                                 "world's own dice")
    threads: int = option(0, "torch CPU threads of each process that plays (0: the cores shared "
                          "out: one per worker when there are as many workers as cores; "
                          "torch's default for one process)")

    def policy_options(self) -> dict:
        """What the RIG policy agent takes from these options (other agents ignore them)."""
        return dict(imagine=self.imagine, device=self.device, temperature=self.temperature,
                    lookahead=self.lookahead, candidates=self.candidates, votes=self.votes,
                    follow_plan=self.follow_plan, judge_margin=self.judge_margin,
                    oracle_futures=self.oracle_futures)

    def validate_policy_options(self) -> None:
        require(self.device in ("cpu", "cuda", "auto"), "--device must be cpu, cuda or auto")
        require(self.lookahead >= 0 and self.candidates >= 1,
                "--lookahead must be >= 0 and --candidates >= 1")
        require(self.threads >= 0, f"--threads must be >= 0, got {self.threads}")
        require(self.votes >= 1, f"--votes must be >= 1, got {self.votes}")
        require(self.follow_plan in ("vote", "commit", "first"),
                f"--follow-plan must be vote, commit or first, not {self.follow_plan!r}")
        require(self.judge_margin is None or (
                    0 <= self.judge_margin < 1
                    and str(getattr(self, "agent", "")).startswith("judge-value:")),
                f"--judge-margin is the judge-value agent's switching margin, a share in [0, "
                f"1): --agent judge-value:OUT/final --judge-margin 0.02 (got "
                f"{self.judge_margin} for --agent {getattr(self, 'agent', '')})")
        require(self.oracle_futures >= 0 and (
                    not self.oracle_futures
                    or str(getattr(self, "agent", "")).startswith("oracle:")),
                f"--oracle-futures re-draws the oracle agent's branches: --agent oracle:OUT/final "
                f"--candidates 4 --lookahead 4 --oracle-futures 4 (got {self.oracle_futures} for "
                f"--agent {getattr(self, 'agent', '')})")
        require(self.votes == 1 or not self.lookahead,
                "--votes samples whole decisions; RIG-lookahead reviews one: use one of them")
