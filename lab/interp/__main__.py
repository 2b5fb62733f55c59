"""`python -m lab.interp run|validate ...`: see lab.interp.cli."""

import sys

from lab.interp.cli import main

sys.exit(main(sys.argv[1:]))
