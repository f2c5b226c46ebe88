"""rig.imagination: filled in by later milestones (see docs/architecture.md)."""
