"""The benchmark's old entry point, kept for `python benchmarks/build.py`: the code is the `benchmarks` package."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, so that `benchmarks` imports
    from benchmarks.__main__ import main

    sys.exit(main())
