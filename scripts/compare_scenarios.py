#!/usr/bin/env python
"""Several fund scenarios side by side: a table (printed, CSV, HTML) and a chart.

    python scripts/compare_scenarios.py sim/scenarios/beijing.toml sim/scenarios/xiangtan.toml \
        sim/scenarios/jiyuan.toml --paths 20000 --out out/compare
"""

import sys

from sim.sizing_cli import compare_main

if __name__ == "__main__":
    sys.exit(compare_main())
