"""One module per provider: its parsers and its processing rules."""
