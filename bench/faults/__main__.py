"""`python -m bench.faults`: see `bench.faults.run`."""

import sys

from bench.faults.run import cli

sys.exit(cli())
