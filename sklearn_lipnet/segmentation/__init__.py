"""Automatic segmentation: the particle in a cut-out, masks for a table."""

from ._masks import checked_masks, particle_masks
from ._particle import segment_particle
from ._quality import SegmentationQuality, segmentation_quality

__all__ = [
    "SegmentationQuality",
    "checked_masks",
    "particle_masks",
    "segment_particle",
    "segmentation_quality",
]
