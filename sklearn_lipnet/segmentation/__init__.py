"""Automatic segmentation: the particle in a cut-out, masks for a table."""

from ._masks import particle_masks
from ._particle import segment_particle
from ._quality import SegmentationQuality, checked_masks, segmentation_quality

__all__ = [
    "SegmentationQuality",
    "checked_masks",
    "particle_masks",
    "segment_particle",
    "segmentation_quality",
]
