"""Pages of the auctions area (filled in by its issue). Expose a Blueprint named `bp` here."""
