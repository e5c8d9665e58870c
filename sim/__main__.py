"""`python -m sim` is `hubsim`."""

from sim.cli import entry

if __name__ == "__main__":
    entry()
