"""The ``lipnet`` command line.

Subcommands: benchmark, train, predict, analyze, explain, export, generate.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
