"""The analyst's workflow: experiment files, designs, sweeps that resume, noise-aware indices.

Data flows one way, one module a step::

    experiment.py  the experiment file: schema, loading with file:line errors
    design.py      design points: SALib (or a grid) over the unit cube, mapped per parameter
    points.py      each point as a scenario through `sim.variant`; one run of a point
    store.py       the sweep folder: append-only Parquet batches beside a manifest
    sweep.py       every point x replication on an executor, stored as it finishes
    indices.py     SALib indices on replication means, with replication noise and bootstrap
    charts.py      Morris, Sobol, tornado, KPI-against-parameter, heat map, convergence
    commands.py    `hubsim sweep` and `hubsim analyse`

`sim.sweep`, `sim.load_experiment` and `sim.analyse` are the Python API (docs/analyst-guide.md).
"""
