"""Particle data sets: real cut-outs from disk and synthetic liposomes."""

from ._liposomes import make_liposomes
from ._load import load_particles
from ._save import save_particles

__all__ = ["load_particles", "make_liposomes", "save_particles"]
