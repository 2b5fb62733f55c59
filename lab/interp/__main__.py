"""`python -m lab.interp run|validate ...`: see lab.interp.cli.

Also runnable as a script, which is how the lab starts the engine: `python -S
lab/interp/__main__.py ...` skips site-packages (the engine needs nothing from them, and site's
start-up work costs ~10 ms of every cold start) and runpy's imports.
"""

import sys

if not __package__:  # run as a script: import `lab` from the folder that holds it
    from os.path import abspath, dirname
    sys.path[0] = dirname(dirname(dirname(abspath(__file__))))

from lab.interp.cli import main  # noqa: E402  (after the path fix above)

sys.exit(main(sys.argv[1:]))
