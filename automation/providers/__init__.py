"""One module per outside system (or offline stand-in for one); the only code that talks to them."""
