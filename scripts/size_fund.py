#!/usr/bin/env python
"""Fund sizing for a finance bureau: how much to budget for compensation and subsidies.

    python scripts/size_fund.py sim/scenarios/example.toml --paths 20000 --seed 1 --out out/example \
        [--engine vector|event] [--workers K] [--confidence 0.99] [--calibration FRAGMENT.toml]

Writes OUT/summary.json, OUT/report.html (self-contained), OUT/paths.csv and PNG charts; prints the
headline answer. A bad scenario file is a one-line error naming the key, and exit status 2.
See docs/fund-sizing.md.
"""

import sys

from sim.sizing_cli import size_fund_main

if __name__ == "__main__":
    sys.exit(size_fund_main())
