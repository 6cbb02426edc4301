"""Automatic segmentation: the particle in a cut-out, masks for a table."""

from ._masks import particle_masks
from ._particle import segment_particle

__all__ = ["particle_masks", "segment_particle"]
