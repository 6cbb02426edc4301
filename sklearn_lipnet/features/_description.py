"""All features of one particle at once: the work behind ParticleFeatures.

A particle is validated, its intensities are normalised and its mask is
cropped once (:class:`_Particle`); each feature then reads what it needs
from it, so the distance transform and the diameter are computed at most
once however many features use them.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..utils import check_image, check_mask
from ._geometry import ParticleGeometry
from ._intensity import (
    _histogram_of_values,
    _intensity_range_of,
    _moments_of,
    _variance_of,
)
from ._profile import (
    _edge_profile_of,
    _radial_profile_of,
    _signal_to_noise_of,
)
from ._shape import (
    _circularity_of,
    _diameter_of,
    _maximum_width_of,
    _perimeter_of,
)

#: Masks with fewer pixels are refused: no feature means anything there, and
#: such masks are nearly always a failed segmentation.
MIN_PARTICLE_AREA = 16

#: Features that need the particle's pixel size.
NANOMETRE_FEATURES = ("maximum_width_nm", "length_nm")

#: The features of the SVM in the thesis (sections 4.1 and 8.4).
THESIS_FEATURES = (
    "area",
    "circularity",
    "moments",
    "edge_profile",
    "histogram",
    "internal_variance",
)

_MOMENT_NAMES = ("moment_mu20", "moment_mu02", "moment_mu30", "moment_mu03")

#: The features grouped by what they describe (the sections of
#: ``docs/features.md``): importances are measured per family, since the
#: columns of one family (a histogram's bins) only mean something together.
FEATURE_FAMILIES = {
    "shape": (
        "area",
        "perimeter",
        "circularity",
        "maximum_width",
        "diameter",
        "maximum_width_nm",
        "length_nm",
    ),
    "moments": ("moments",),
    "histogram": ("histogram",),
    "radial profile": ("radial_profile",),
    "edge profile": ("edge_profile",),
    "signal to noise": ("signal_to_noise",),
    "internal variance": ("internal_variance",),
}


@dataclass(frozen=True)
class FeatureSpec:
    """The validated settings that fix the output columns."""

    features: tuple
    n_histogram_bins: int
    n_profile_bins: int
    edge_profile_depth: float | None
    intensity_range: object

    def column_names(self):
        """Names of the output columns, in order."""
        return [
            name for feature in self.features for name in _columns_of(self, feature)
        ]

    def column_positions(self):
        """``{feature: positions of its output columns}``, in order."""
        positions = {}
        start = 0
        for feature in self.features:
            stop = start + len(_columns_of(self, feature))
            positions[feature] = list(range(start, stop))
            start = stop
        return positions


def _columns_of(spec, feature):
    if feature == "moments":
        return list(_MOMENT_NAMES)
    if feature == "histogram":
        return _numbered("histogram", spec.n_histogram_bins)
    if feature in ("radial_profile", "edge_profile"):
        return _numbered(feature, spec.n_profile_bins)
    return [feature]


def _numbered(prefix, n):
    width = max(2, len(str(n - 1)))
    return [f"{prefix}_{i:0{width}d}" for i in range(n)]


def _normalized(values, low, high):
    """``np.clip((values - low) / (high - low), 0, 1)``, in place in ``values``."""
    np.subtract(values, low, out=values)
    np.divide(values, high - low, out=values)
    np.maximum(values, 0.0, out=values)
    return np.minimum(values, 1.0, out=values)


class _Particle:
    """One validated particle: geometry and normalised intensities.

    Raises ValueError with a message that says what is wrong with the
    particle (the caller adds which row it is).
    """

    def __init__(self, image, mask, pixel_size_nm, spec):
        # The intensity range comes from the whole cut-out, so every pixel
        # must be finite, not only the particle's.
        image = check_image(image, finite_where="all")
        mask = check_mask(mask, image.shape)
        n_pixels = np.count_nonzero(mask)
        if n_pixels < MIN_PARTICLE_AREA:
            raise ValueError(
                f"mask has only {n_pixels} pixel(s), fewer than the "
                f"{MIN_PARTICLE_AREA} needed for meaningful features"
            )
        self.spec = spec
        self.pixel_size_nm = pixel_size_nm
        self.geometry = ParticleGeometry(mask)
        # Only the particle's pixels are normalised; the range comes from the
        # whole cut-out.
        low, high = _intensity_range_of(image, spec.intensity_range)
        values = self.geometry.pixels_of(image).astype(np.float64, copy=False)
        if high > low:
            self.values = _normalized(values, low, high)
        else:
            self.values = np.full(values.shape, 0.5)

    @cached_property
    def perimeter(self):
        return _perimeter_of(self.geometry)

    @cached_property
    def diameter(self):
        return _diameter_of(self.geometry)

    @cached_property
    def maximum_width(self):
        return _maximum_width_of(self.geometry)

    @property
    def density(self):
        # Dark is dense in TEM: weighting the moments by darkness puts their
        # mass on membranes and content rather than on empty interiors.
        return 1.0 - self.values


#: How each feature is computed from a ``_Particle``; the order is the column
#: order of ``features="all"``.
_COMPUTE = {
    "area": lambda p: p.geometry.area,
    "perimeter": lambda p: p.perimeter,
    "circularity": lambda p: _circularity_of(p.geometry, p.perimeter),
    "moments": lambda p: _moments_of(p.density, p.geometry),
    "maximum_width": lambda p: p.maximum_width,
    "diameter": lambda p: p.diameter,
    "maximum_width_nm": lambda p: p.maximum_width * p.pixel_size_nm,
    "length_nm": lambda p: p.diameter * p.pixel_size_nm,
    "histogram": lambda p: _histogram_of_values(
        p.values, p.spec.n_histogram_bins, (0.0, 1.0)
    ),
    "radial_profile": lambda p: _radial_profile_of(
        p.values, p.geometry, p.spec.n_profile_bins
    ),
    "edge_profile": lambda p: _edge_profile_of(
        p.values, p.geometry, p.spec.n_profile_bins, p.spec.edge_profile_depth
    ),
    "signal_to_noise": lambda p: _signal_to_noise_of(p.values, p.geometry, None),
    "internal_variance": lambda p: _variance_of(p.values),
}

#: Every feature, in the order of the output columns for ``features="all"``.
FEATURE_NAMES = tuple(_COMPUTE)


def describe_particle(image, mask, pixel_size_nm, spec):
    """Feature vector of one particle and whether it touches the image border."""
    particle = _Particle(image, mask, pixel_size_nm, spec)
    vector = np.hstack([_COMPUTE[feature](particle) for feature in spec.features])
    return vector.astype(np.float64), particle.geometry.touches_border


def describe_particles(images, masks, pixel_sizes, spec):
    """Describe particles one by one, returning errors instead of raising.

    Each result is ``(vector, touches_border)`` or the error message.
    Collecting the errors lets the caller report every bad particle at
    once, not only the first one a worker happened to meet.
    """
    results = []
    for image, mask, pixel_size_nm in zip(images, masks, pixel_sizes):
        try:
            results.append(describe_particle(image, mask, pixel_size_nm, spec))
        except ValueError as error:
            results.append(str(error))
    return results
