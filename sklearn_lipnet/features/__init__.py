"""Hand-made particle features: the transformer and its kernels.

:class:`ParticleFeatures` turns a particle table into the feature matrix of
the thesis's SVM. The functions behind it work on single particles
(scikit-image style): each takes a 2-D boolean ``mask`` and, for intensity
features, a 2-D ``image`` of the same shape; lengths are in pixels (multiply
by the pixel size for nanometres). See the user guide page
``docs/features.md`` for every definition.
"""

from ._centred import (
    angular_harmonics,
    density_moments,
    orientation_coherence,
    ring_profile,
    ring_spread,
)
from ._description import (
    FEATURE_FAMILIES,
    FEATURE_NAMES,
    NANOMETRE_FEATURES,
    THESIS_FEATURES,
)
from ._intensity import (
    central_moments,
    intensity_histogram,
    internal_variance,
    normalize_intensity,
)
from ._particle_features import ParticleFeatures
from ._profile import (
    edge_density_profile,
    radial_density_profile,
    signal_to_noise,
)
from ._shape import area, circularity, diameter, maximum_width, perimeter
from ._texture import haralick_features, intensity_statistics, lbp_histogram

__all__ = [
    "FEATURE_FAMILIES",
    "FEATURE_NAMES",
    "NANOMETRE_FEATURES",
    "THESIS_FEATURES",
    "ParticleFeatures",
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
    "ring_profile",
    "ring_spread",
    "angular_harmonics",
    "density_moments",
    "orientation_coherence",
    "intensity_statistics",
    "lbp_histogram",
    "haralick_features",
]
