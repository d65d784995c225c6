#!/usr/bin/env python
"""Province-scale fund sizing: every cell of a grid of scenarios and policy variants, on a Dask cluster.

    python scripts/sweep.py sim/sweeps/province.toml --out out/province [--paths N] [--seed S] \
        [--scheduler tcp://HOST:8786 | --local-workers K]

Without --scheduler the cells run on a Dask LocalCluster on this machine. Writes OUT/sweep.csv,
OUT/sweep.json, OUT/report.html (self-contained) with the comparison charts, and each cell's scenario
and summary under OUT/cells/. See docs/fund-sizing.md, "Beyond one machine".
"""

import sys

from sim.sweep_cli import sweep_main

if __name__ == "__main__":
    sys.exit(sweep_main())
