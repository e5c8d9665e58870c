"""The planner's questions: compare scenarios, find the capacity a target needs, and how
many replications (and how long a warm-up) a run needs.

`compare` (`sim.planning.compare`) and `capacity` (`sim.planning.capacity`) are exported
from `sim` itself; the CLI commands are in `sim.planning.commands`.
"""
