"""`python -m boardpack` runs the command line."""

from boardpack.cli import run

run()
