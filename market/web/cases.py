"""Pages of the cases area (filled in by its issue). Expose a Blueprint named `bp` here."""
