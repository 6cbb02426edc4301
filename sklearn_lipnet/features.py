"""Particle features as plain functions on image and mask arrays.

The functions behind :class:`~sklearn_lipnet.ParticleFeatures`, for use on
single particles (scikit-image style). Each takes a 2-D boolean ``mask`` and,
for intensity features, a 2-D ``image`` of the same shape; lengths are in
pixels (multiply by the pixel size for nanometres). See the user guide page
``docs/features.md`` for every definition.
"""

from ._intensity_features import (
    central_moments,
    intensity_histogram,
    internal_variance,
    normalize_intensity,
)
from ._profile_features import (
    edge_density_profile,
    radial_density_profile,
    signal_to_noise,
)
from ._shape_features import area, circularity, diameter, maximum_width, perimeter

__all__ = [
    "area",
    "perimeter",
    "circularity",
    "maximum_width",
    "diameter",
    "normalize_intensity",
    "intensity_histogram",
    "central_moments",
    "internal_variance",
    "radial_density_profile",
    "edge_density_profile",
    "signal_to_noise",
]
