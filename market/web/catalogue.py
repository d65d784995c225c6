"""Pages of the catalogue area (filled in by its issue). Expose a Blueprint named `bp` here."""
