"""rig.trajectories: filled in by later milestones (see docs/architecture.md)."""
