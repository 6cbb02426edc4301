"""All features of one particle at once: the work behind ParticleFeatures.

A particle is validated, its intensities are normalised and its mask is
cropped once (:class:`_Particle`); each feature then reads what it needs
from it, so the distance transform and the diameter are computed at most
once however many features use them. Mask-free features read the whole
normalised cut-out and its inscribed disc instead, and need no mask at all.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..utils import check_image, check_mask
from ._centred import (
    DENSITY_MOMENT_NAMES,
    _angular_harmonics_of,
    _density_moments_of,
    _orientation_coherence_of,
    _ring_profile_of,
    _ring_spread_of,
    centred_disc,
)
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
from ._texture import (
    HARALICK_PROPERTIES,
    STATISTIC_NAMES,
    _haralick_of,
    _lbp_histogram_of,
    _quantized,
    _statistics_of,
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

#: Features that need no mask (``features="mask_free"``), measured about the
#: cut-out's centre.
MASK_FREE_FEATURES = (
    "ring_profile",
    "ring_spread",
    "angular_harmonics",
    "orientation_coherence",
    "density_moments",
    "disc_histogram",
    "intensity_statistics",
    "lbp",
    "haralick",
)

#: The feature that checks automatic masks and records the check.
MASK_CHECK = "mask_trusted"

_MOMENT_NAMES = ("moment_mu20", "moment_mu02", "moment_mu30", "moment_mu03")
# Angular harmonics 1-4 in three rings; LBP of 8 neighbours at 1 px; Haralick
# measures on 16 grey levels at 1 and 2 px.
_HARMONICS, _HARMONIC_RINGS = 4, 3
_LBP_POINTS, _LBP_RADIUS = 8, 1
_COHERENCE_SIGMA = 1.0
_GLCM_LEVELS, _GLCM_DISTANCES = 16, (1, 2)
# Mask-free features need cut-outs of at least this side (LBP, Haralick).
_MIN_SIDE = 2 * _LBP_RADIUS + 3
# Fallback disc for an untrusted mask: radius 1.2 times the density's radius
# of gyration (between a ring's 1 and a uniform disc's sqrt(2)), within a
# quarter and the whole of the inscribed disc, at least 3 px.
_FALLBACK_GYRATION_FACTOR = 1.2

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
    # The features that need no mask (features="mask_free" / "auto").
    "ring profile": ("ring_profile", "ring_spread"),
    "angular structure": ("angular_harmonics", "orientation_coherence"),
    "density moments": ("density_moments",),
    "disc histogram": ("disc_histogram",),
    "intensity statistics": ("intensity_statistics",),
    "texture": ("lbp", "haralick"),
    # Whether the automatic mask passed its check: one column.
    "mask check": ("mask_trusted",),
}


@dataclass(frozen=True)
class FeatureSpec:
    """The validated settings that fix the output columns."""

    features: tuple
    n_histogram_bins: int
    n_profile_bins: int
    edge_profile_depth: float | None
    intensity_range: object

    @property
    def needs_masks(self):
        """Whether any feature is measured inside the particle's mask."""
        return any(f not in MASK_FREE_FEATURES for f in self.features)

    @property
    def needs_cutout(self):
        """Whether any feature is measured over the whole cut-out."""
        return any(f in MASK_FREE_FEATURES for f in self.features)

    @property
    def checks_masks(self):
        """Whether automatic masks are checked (and the check recorded)."""
        return MASK_CHECK in self.features

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
    if feature == "disc_histogram":
        return _numbered(feature, spec.n_histogram_bins)
    if feature in ("radial_profile", "edge_profile", "ring_profile", "ring_spread"):
        return _numbered(feature, spec.n_profile_bins)
    if feature == "angular_harmonics":
        return [
            f"angular_harmonic_r{ring}_k{k}"
            for ring in range(_HARMONIC_RINGS)
            for k in range(1, _HARMONICS + 1)
        ]
    if feature == "orientation_coherence":
        return [
            f"{name}_r{ring}"
            for ring in range(_HARMONIC_RINGS)
            for name in ("coherence", "gradient_energy")
        ]
    if feature == "density_moments":
        return list(DENSITY_MOMENT_NAMES)
    if feature == "intensity_statistics":
        return [f"intensity_{name}" for name in STATISTIC_NAMES]
    if feature == "lbp":
        return _numbered("lbp", _LBP_POINTS + 2)
    if feature == "haralick":
        return [
            f"haralick_{prop}_d{distance}"
            for distance in _GLCM_DISTANCES
            for prop in HARALICK_PROPERTIES
        ]
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

    ``quality`` is the check of an automatic mask
    (:class:`~sklearn_lipnet.segmentation.SegmentationQuality`), ``None``
    for an expert mask or no check. Where the features check masks and the
    mask fails, the mask features are measured in a fallback disc.

    Raises ValueError with a message that says what is wrong with the
    particle (the caller adds which row it is).
    """

    def __init__(self, image, mask, pixel_size_nm, spec, quality=None):
        # The intensity range comes from the whole cut-out, so every pixel
        # must be finite, not only the particle's.
        image = check_image(image, finite_where="all")
        self.image = image
        self.spec = spec
        self.pixel_size_nm = pixel_size_nm
        self.trusted = quality is None or quality.trusted
        self.low, self.high = _intensity_range_of(image, spec.intensity_range)
        if spec.needs_cutout and min(image.shape) < _MIN_SIDE:
            raise ValueError(
                f"the cut-out of shape {image.shape} is too small for the mask-free "
                f"features, which need at least {_MIN_SIDE} x {_MIN_SIDE} pixels"
            )
        self.geometry = None
        if not spec.needs_masks:
            return
        if not self.trusted and spec.checks_masks:
            mask = self._fallback_mask()
        mask = check_mask(mask, image.shape)
        n_pixels = np.count_nonzero(mask)
        if n_pixels < MIN_PARTICLE_AREA:
            raise ValueError(
                f"mask has only {n_pixels} pixel(s), fewer than the "
                f"{MIN_PARTICLE_AREA} needed for meaningful features"
            )
        self.geometry = ParticleGeometry(mask)
        # Only the particle's pixels are normalised; the range comes from the
        # whole cut-out.
        low, high = self.low, self.high
        values = self.geometry.pixels_of(image).astype(np.float64, copy=False)
        if high > low:
            self.values = _normalized(values, low, high)
        else:
            self.values = np.full(values.shape, 0.5)

    @property
    def touches_border(self):
        return self.geometry is not None and self.geometry.touches_border

    @cached_property
    def normalized(self):
        """The whole cut-out mapped to [0, 1] like the particle's values."""
        image = self.image.astype(np.float64)
        if not self.high > self.low:
            return np.full(image.shape, 0.5)
        return np.clip((image - self.low) / (self.high - self.low), 0.0, 1.0)

    @cached_property
    def disc(self):
        return centred_disc(self.image.shape)

    @cached_property
    def disc_values(self):
        return self.normalized[self.disc.inside]

    def _fallback_mask(self):
        """A centred disc about as large as the particle's density."""
        gyration = _density_moments_of(self.disc_values, self.disc)[1]
        half = min(self.image.shape) / 2
        radius = np.clip(_FALLBACK_GYRATION_FACTOR * gyration, 0.25, 1.0) * half
        radius = max(radius, 3.0)
        height, width = self.image.shape
        rows, cols = np.mgrid[:height, :width]
        return np.hypot(rows - (height - 1) / 2, cols - (width - 1) / 2) <= radius

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

#: The features measured inside the particle's mask, in the order of the
#: output columns for ``features="all"``.
MASK_FEATURES = tuple(_COMPUTE)

_COMPUTE.update(
    {
        "ring_profile": lambda p: _ring_profile_of(
            p.disc_values, p.disc, p.spec.n_profile_bins
        ),
        "ring_spread": lambda p: _ring_spread_of(
            p.disc_values, p.disc, p.spec.n_profile_bins
        ),
        "angular_harmonics": lambda p: _angular_harmonics_of(
            p.disc_values, p.disc, _HARMONICS, _HARMONIC_RINGS
        ),
        "orientation_coherence": lambda p: _orientation_coherence_of(
            p.normalized, p.disc, _HARMONIC_RINGS, _COHERENCE_SIGMA
        ),
        "density_moments": lambda p: _density_moments_of(p.disc_values, p.disc),
        "disc_histogram": lambda p: _histogram_of_values(
            p.disc_values, p.spec.n_histogram_bins, (0.0, 1.0)
        ),
        "intensity_statistics": lambda p: _statistics_of(p.disc_values),
        "lbp": lambda p: _lbp_histogram_of(
            _quantized(p.normalized, 256), _LBP_POINTS, _LBP_RADIUS
        ),
        "haralick": lambda p: _haralick_of(
            _quantized(p.normalized, _GLCM_LEVELS), _GLCM_LEVELS, _GLCM_DISTANCES
        ),
        MASK_CHECK: lambda p: float(p.trusted),
    }
)

#: Every feature: those in a mask, the mask-free ones and the mask check.
FEATURE_NAMES = tuple(_COMPUTE)


def describe_particle(image, mask, pixel_size_nm, spec, quality=None):
    """Feature vector of one particle and whether it touches the image border."""
    particle = _Particle(image, mask, pixel_size_nm, spec, quality)
    vector = np.hstack([_COMPUTE[feature](particle) for feature in spec.features])
    return vector.astype(np.float64), particle.touches_border


def describe_particles(images, masks, pixel_sizes, spec, qualities=None):
    """Describe particles one by one, returning errors instead of raising.

    Each result is ``(vector, touches_border)`` or the error message.
    Collecting the errors lets the caller report every bad particle at
    once, not only the first one a worker happened to meet.
    """
    if qualities is None:
        qualities = [None] * len(images)
    results = []
    for image, mask, pixel_size_nm, quality in zip(
        images, masks, pixel_sizes, qualities
    ):
        try:
            results.append(describe_particle(image, mask, pixel_size_nm, spec, quality))
        except ValueError as error:
            results.append(str(error))
    return results
