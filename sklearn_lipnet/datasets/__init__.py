"""Particle data sets: real cut-outs from disk and synthetic liposomes."""

from ._liposomes import make_liposomes

__all__ = ["make_liposomes"]
