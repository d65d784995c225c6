#!/usr/bin/env python
"""Auction study: dispose of one asset (appraised value 1) many times and summarise the revenue.

    python scripts/simulate_auctions.py --bidders 3 --values uniform --reserve 0.5 --rounds 1 \
        --cut 0.2 --paths 100000 --seed 1 --out out/auctions

The same as the installed `ipd-simulate-auctions`; see sim/auction_cli.py.
"""

import sys

from sim.auction_cli import main

if __name__ == "__main__":
    sys.exit(main())
