"""Pages of the operator area (filled in by its issue). Expose a Blueprint named `bp` here."""
