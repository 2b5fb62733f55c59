"""`wasmlab` with the workload manifest taken from $WASMLAB_TEST_MANIFEST (see crafted.py)."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    from lab.suites import workloads

    manifest = os.environ.get("WASMLAB_TEST_MANIFEST")
    if manifest:
        workloads.load_manifest.__defaults__ = (Path(manifest),)  # the default the suite reads
    from lab.cli import main

    sys.exit(main(sys.argv[1:]))
