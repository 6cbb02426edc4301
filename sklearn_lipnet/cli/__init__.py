"""The ``lipnet`` command line: benchmark, train, predict, generate."""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
