"""Sensitivity analysis: experiment files, designs, sweeps with a crash-safe store, indices."""
