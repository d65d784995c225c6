"""The web edge: one blueprint per audience (market.app registers them) and the JSON API (market.web.api)."""
