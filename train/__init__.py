"""rig.train: filled in by later milestones (see docs/architecture.md)."""
