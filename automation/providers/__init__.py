"""One module per outside system; the only code that talks HTTP to them."""
