"""Pages of the bureau area (filled in by its issue). Expose a Blueprint named `bp` here."""
