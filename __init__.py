"""RIG: one end-to-end policy that reasons, acts and imagines.

Subpackages (one room each; see docs/architecture.md):
`rig.worlds` (Gymnasium worlds), `rig.agents` (agents and the Decision they return),
`rig.trajectories` (zarr trajectory stores), `rig.imagination` (the image tokenizer and
imagination metrics), `rig.train` (everything that updates weights), `rig.eval` (everything
that measures, plays and reports). The `rig` command line lives in `rig.cli`.
"""

__version__ = "0.1.0"
