"""rig.eval: everything that measures: playing episodes, scores, reports and benchmarks."""
