"""Calibration targets: observed figures a scenario should reproduce, and checking a run
against them (`hubsim check SCENARIO --targets FILE`, `sim.check`).

`targets.py` is the targets file's schema and loader, `measures.py` computes each target's
measure from one replication, `check.py` runs the replications and builds the table, and
`commands.py` adds the `check` command to the CLI.
"""
