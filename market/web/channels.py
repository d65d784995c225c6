"""Pages of the channels area (filled in by its issue). Expose a Blueprint named `bp` here."""
