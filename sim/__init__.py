"""hubsim: demand, capacity and waiting lists for staff mental-health and wellbeing hubs."""

__version__ = "0.1.0"
