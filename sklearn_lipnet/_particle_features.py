"""ParticleFeatures: the thesis's hand-made particle features as a transformer."""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._intensity_features import (
    _histogram_of_values,
    _intensity_range_of,
    _moments_of,
    _variance_of,
)
from ._particle_geometry import ParticleGeometry
from ._profile_features import (
    _edge_profile_of,
    _radial_profile_of,
    _signal_to_noise_of,
)
from ._shape_features import (
    _circularity_of,
    _diameter_of,
    _maximum_width_of,
    _perimeter_of,
)
from ._table import as_particle_table, particle_masks, row_label

#: Every feature, in the order of the output columns for ``features="all"``.
FEATURE_NAMES = (
    "area",
    "perimeter",
    "circularity",
    "moments",
    "maximum_width",
    "diameter",
    "maximum_width_nm",
    "length_nm",
    "histogram",
    "radial_profile",
    "edge_profile",
    "signal_to_noise",
    "internal_variance",
)

#: The features of the SVM in the thesis (sections 4.1 and 8.4).
THESIS_FEATURES = (
    "area",
    "circularity",
    "moments",
    "edge_profile",
    "histogram",
    "internal_variance",
)

#: Features that need the table's ``pixel_size_nm`` column.
NANOMETRE_FEATURES = ("maximum_width_nm", "length_nm")

#: Masks with fewer pixels are refused: no feature means anything there, and
#: such masks are nearly always a failed segmentation.
MIN_PARTICLE_AREA = 16

_MOMENT_NAMES = ("moment_mu20", "moment_mu02", "moment_mu30", "moment_mu03")


@dataclass(frozen=True)
class _FeatureSpec:
    """The validated settings that fix the output columns."""

    features: tuple
    n_histogram_bins: int
    n_profile_bins: int
    edge_profile_depth: float | None
    intensity_range: object

    def column_names(self):
        names = []
        for feature in self.features:
            if feature == "moments":
                names.extend(_MOMENT_NAMES)
            elif feature == "histogram":
                names.extend(_numbered("histogram", self.n_histogram_bins))
            elif feature in ("radial_profile", "edge_profile"):
                names.extend(_numbered(feature, self.n_profile_bins))
            else:
                names.append(feature)
        return names


def _numbered(prefix, n):
    width = max(2, len(str(n - 1)))
    return [f"{prefix}_{i:0{width}d}" for i in range(n)]


def _describe_particle(image, mask, pixel_size_nm, spec):
    """Feature vector of one particle and whether it touches the image border.

    Raises ValueError with a message that says what is wrong with the
    particle (the caller adds which row it is).
    """
    image = np.asarray(image)
    mask = np.asarray(mask, dtype=bool)
    if image.shape != mask.shape:
        raise ValueError(
            f"mask shape {mask.shape} differs from image shape {image.shape}"
        )
    if np.issubdtype(image.dtype, np.inexact):
        n_bad = np.count_nonzero(~np.isfinite(image))
        if n_bad:
            raise ValueError(
                f"image has {n_bad} NaN or infinite pixel(s); fill or drop them"
            )
    n_pixels = np.count_nonzero(mask)
    if n_pixels == 0:
        raise ValueError("mask is empty")
    if n_pixels < MIN_PARTICLE_AREA:
        raise ValueError(
            f"mask has only {n_pixels} pixel(s), fewer than the "
            f"{MIN_PARTICLE_AREA} needed for meaningful features"
        )
    geometry = ParticleGeometry(mask)
    low, high = _intensity_range_of(image, spec.intensity_range)
    values = image[geometry.image_rows, geometry.image_cols].astype(np.float64)
    if high > low:
        values = np.clip((values - low) / (high - low), 0.0, 1.0)
    else:
        values = np.full(values.shape, 0.5)

    lengths = {}  # diameter and width serve both pixel and nanometre columns

    def diameter():
        if "diameter" not in lengths:
            lengths["diameter"] = _diameter_of(geometry)
        return lengths["diameter"]

    parts = []
    for feature in spec.features:
        if feature == "area":
            parts.append(geometry.area)
        elif feature == "perimeter":
            parts.append(_perimeter_of(geometry))
        elif feature == "circularity":
            parts.append(_circularity_of(geometry))
        elif feature == "moments":
            # Dark is dense in TEM: weighting by darkness puts the moments'
            # mass on membranes and content rather than on empty interiors.
            parts.append(_moments_of(1.0 - values, geometry))
        elif feature == "maximum_width":
            parts.append(_maximum_width_of(geometry))
        elif feature == "diameter":
            parts.append(diameter())
        elif feature == "maximum_width_nm":
            parts.append(_maximum_width_of(geometry) * pixel_size_nm)
        elif feature == "length_nm":
            parts.append(diameter() * pixel_size_nm)
        elif feature == "histogram":
            parts.append(
                _histogram_of_values(values, spec.n_histogram_bins, (0.0, 1.0))
            )
        elif feature == "radial_profile":
            parts.append(_radial_profile_of(values, geometry, spec.n_profile_bins))
        elif feature == "edge_profile":
            parts.append(
                _edge_profile_of(
                    values, geometry, spec.n_profile_bins, spec.edge_profile_depth
                )
            )
        elif feature == "signal_to_noise":
            parts.append(_signal_to_noise_of(values, geometry, None))
        elif feature == "internal_variance":
            parts.append(_variance_of(values))
    vector = np.hstack(parts).astype(np.float64)
    return vector, geometry.touches_border


def _describe_chunk(images, masks, pixel_sizes, spec):
    """Describe particles one by one, returning errors instead of raising.

    Collecting the errors lets the caller report every bad particle at
    once, not only the first one a worker happened to meet.
    """
    results = []
    for image, mask, pixel_size_nm in zip(images, masks, pixel_sizes):
        try:
            results.append(_describe_particle(image, mask, pixel_size_nm, spec))
        except ValueError as error:
            results.append(str(error))
    return results


def _list_rows(table, positions, limit=10):
    names = [row_label(table, position) for position in positions[:limit]]
    if len(positions) > limit:
        names.append(f"... and {len(positions) - limit} more")
    return ", ".join(names)


class ParticleFeatures(TransformerMixin, BaseEstimator):
    """Hand-made features of particle images, as in the thesis's SVM.

    Turns a particle table (or a sequence of images) into a fixed-width
    float matrix, one row per particle: shape (area, perimeter,
    circularity, width, diameter), image moments, an intensity histogram,
    radial and edge density profiles, the membrane's signal to noise and
    the internal variance. Every feature is defined, with its units, in the
    user guide (``docs/features.md``) and available as a function in
    :mod:`sklearn_lipnet.features`.

    Features are computed inside the particle's mask: the table's ``mask``
    column where there is one, an automatic segmentation of the centred
    particle where there is none. Intensities are first mapped to [0, 1]
    per cut-out (see ``intensity_range``), so 8-bit, 16-bit and float
    images give the same features.

    Parameters
    ----------
    features : "all", "thesis", str or list of str, default="all"
        Which features to compute, in the order of the output columns.
        ``"thesis"`` is the set of the thesis's SVM: area, circularity,
        moments, edge profile, histogram and internal variance. ``"all"``
        is every feature of ``FEATURE_NAMES``; it includes the nanometre
        features ``maximum_width_nm`` and ``length_nm`` only when the table
        given to ``fit`` has a ``pixel_size_nm`` column. Names:
        ``"area"``, ``"perimeter"``, ``"circularity"``, ``"moments"``
        (4 columns), ``"maximum_width"``, ``"diameter"``,
        ``"maximum_width_nm"``, ``"length_nm"``, ``"histogram"``
        (``n_histogram_bins`` columns), ``"radial_profile"`` and
        ``"edge_profile"`` (``n_profile_bins`` columns each),
        ``"signal_to_noise"``, ``"internal_variance"``.
    n_histogram_bins : int, default=32
        Bins of the intensity histogram (the thesis uses 32).
    n_profile_bins : int, default=16
        Bins of the radial and the edge density profile.
    edge_profile_depth : float, default=None
        How far into the particle the edge profile reaches, in pixels.
        ``None`` resamples each particle's whole depth (outline to deepest
        point) to ``n_profile_bins`` bands; a number gives bands of a fixed
        width, ``edge_profile_depth / n_profile_bins`` pixels.
    intensity_range : {"percentile", "dtype"} or (float, float), \
            default="percentile"
        Intensities mapped to 0 and 1 before the intensity features:
        the 1st and 99th percentile of each cut-out (``"percentile"``),
        the range of the integer dtype, floats taken as [0, 1]
        (``"dtype"``), or one fixed range for all images. See
        :func:`sklearn_lipnet.features.normalize_intensity`.
    n_jobs : int, default=None
        Number of processes computing particles (and automatic masks) in
        parallel with joblib. ``None`` means 1 unless in a
        :func:`joblib.parallel_backend` context; ``-1`` means all
        processors.

    Attributes
    ----------
    features_ : tuple of str
        The features computed, ``features`` resolved.
    n_features_out_ : int
        Number of output columns.

    See Also
    --------
    sklearn_lipnet.make_svm_pipeline : these features in the thesis's SVM.
    sklearn_lipnet.features : the features as functions on arrays.

    Notes
    -----
    Bad particles raise a ``ValueError`` that lists every offending row:
    an empty mask, a mask of fewer than 16 pixels, NaN or infinite pixels,
    a mask whose shape differs from its image's, a missing pixel size for a
    nanometre feature. A particle touching the image border is measured as
    its visible part, with a warning naming it.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_lipnet import ParticleFeatures
    >>> rows, cols = np.mgrid[:80, :80]
    >>> radius = np.hypot(rows - 40, cols - 40)
    >>> image = np.where(np.abs(radius - 18) < 2, 60, 200).astype(np.uint8)
    >>> table = pd.DataFrame({"image": [image, image / 255],
    ...                       "mask": [radius <= 20, radius <= 15]})
    >>> features = ParticleFeatures(["area", "circularity", "histogram"],
    ...                             n_histogram_bins=4)
    >>> features.set_output(transform="pandas").fit_transform(table).round(2)
         area  circularity  histogram_00  histogram_01  histogram_02  histogram_03
    0  1257.0         0.97          0.36           0.0           0.0          0.64
    1   709.0         0.96          0.00           0.0           0.0          1.00
    >>> ParticleFeatures().fit(table).get_feature_names_out()[[0, 3, 16, 53]]
    array(['area', 'moment_mu20', 'histogram_07', 'radial_profile_12'],
          dtype=object)
    """

    def __init__(
        self,
        features="all",
        *,
        n_histogram_bins=32,
        n_profile_bins=16,
        edge_profile_depth=None,
        intensity_range="percentile",
        n_jobs=None,
    ):
        self.features = features
        self.n_histogram_bins = n_histogram_bins
        self.n_profile_bins = n_profile_bins
        self.edge_profile_depth = edge_profile_depth
        self.intensity_range = intensity_range
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Check the parameters and decide the output columns.

        Parameters
        ----------
        X : pandas.DataFrame or sequence of 2-D arrays
            Particle table with an ``image`` column (and optionally
            ``mask`` and ``pixel_size_nm``), or images.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : ParticleFeatures
            The fitted transformer.
        """
        table = as_particle_table(X)
        has_pixel_size = "pixel_size_nm" in table.columns
        spec = self._validate_spec(has_pixel_size)
        self._spec = spec
        self._feature_names_out = np.asarray(spec.column_names(), dtype=object)
        self.features_ = spec.features
        self.n_features_out_ = len(self._feature_names_out)
        return self

    def _validate_spec(self, has_pixel_size):
        features = self.features
        if isinstance(features, str):
            if features == "all":
                features = tuple(
                    name
                    for name in FEATURE_NAMES
                    if has_pixel_size or name not in NANOMETRE_FEATURES
                )
            elif features == "thesis":
                features = THESIS_FEATURES
            else:
                features = (features,)
        try:
            features = tuple(features)
        except TypeError:
            features = None
        if not features:
            raise ValueError(
                "features must be 'all', 'thesis' or a non-empty list of feature "
                f"names, got {self.features!r}."
            )
        unknown = [name for name in features if name not in FEATURE_NAMES]
        if unknown:
            raise ValueError(
                f"Unknown feature(s) {unknown}; choose from {list(FEATURE_NAMES)} "
                "or the presets 'all' and 'thesis'."
            )
        duplicated = sorted({name for name in features if features.count(name) > 1})
        if duplicated:
            raise ValueError(f"features lists {duplicated} more than once.")
        needs_pixel_size = [name for name in features if name in NANOMETRE_FEATURES]
        if needs_pixel_size and not has_pixel_size:
            raise ValueError(
                f"Feature(s) {needs_pixel_size} need the pixel size: add a "
                "'pixel_size_nm' column to the particle table."
            )
        for name in ("n_histogram_bins", "n_profile_bins"):
            value = getattr(self, name)
            if (
                not isinstance(value, numbers.Integral)
                or isinstance(value, bool)
                or value < 1
            ):
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        depth = self.edge_profile_depth
        if depth is not None and (
            not isinstance(depth, numbers.Real)
            or isinstance(depth, bool)
            or not np.isfinite(depth)
            or depth < 1
        ):
            raise ValueError(
                "edge_profile_depth must be None or a number of pixels >= 1, "
                f"got {depth!r}."
            )
        return _FeatureSpec(
            features=features,
            n_histogram_bins=int(self.n_histogram_bins),
            n_profile_bins=int(self.n_profile_bins),
            edge_profile_depth=None if depth is None else float(depth),
            intensity_range=self._validate_intensity_range(),
        )

    def _validate_intensity_range(self):
        value = self.intensity_range
        if isinstance(value, str):
            if value in ("percentile", "dtype"):
                return value
        else:
            try:
                low, high = (float(bound) for bound in value)
            except (TypeError, ValueError):
                pass
            else:
                if np.isfinite(low) and np.isfinite(high) and low < high:
                    return (low, high)
        raise ValueError(
            "intensity_range must be 'percentile', 'dtype' or a (low, high) pair "
            f"of finite numbers with low < high, got {value!r}."
        )

    def transform(self, X):
        """Compute the features of every particle.

        Parameters
        ----------
        X : pandas.DataFrame or sequence of 2-D arrays
            Particle table or images, as for ``fit``.

        Returns
        -------
        X_features : ndarray of shape (n_particles, n_features_out_)
            One row per particle, columns named by
            :meth:`get_feature_names_out`; float64, never NaN.

        Raises
        ------
        ValueError
            Listing every particle whose features cannot be computed, and
            why.
        """
        check_is_fitted(self)
        spec = self._spec
        table = as_particle_table(X)
        pixel_sizes = self._pixel_sizes(table, spec)
        masks = particle_masks(table, n_jobs=self.n_jobs)
        images = list(table["image"])
        results = self._compute(images, masks, pixel_sizes, spec)

        failed = [i for i, result in enumerate(results) if isinstance(result, str)]
        if failed:
            details = "\n".join(
                f"  {row_label(table, i)}: {results[i]}" for i in failed[:20]
            )
            more = f"\n  ... and {len(failed) - 20} more" if len(failed) > 20 else ""
            raise ValueError(
                f"ParticleFeatures cannot describe {len(failed)} of {len(results)} "
                f"particle(s); fix or drop these rows:\n{details}{more}"
            )
        touching = [i for i, (_, touches) in enumerate(results) if touches]
        if touching:
            warnings.warn(
                f"{len(touching)} particle(s) touch the image border and may be "
                "cut off; their shape features describe the visible part only: "
                f"{_list_rows(table, touching)}.",
                UserWarning,
                stacklevel=3,
            )
        if not results:
            return np.empty((0, self.n_features_out_))
        return np.vstack([vector for vector, _ in results])

    @staticmethod
    def _pixel_sizes(table, spec):
        if not any(name in NANOMETRE_FEATURES for name in spec.features):
            return [None] * len(table)
        if "pixel_size_nm" not in table.columns:
            raise ValueError(
                "ParticleFeatures was fitted with nanometre features "
                f"{[n for n in spec.features if n in NANOMETRE_FEATURES]}; the "
                "table to transform needs a 'pixel_size_nm' column."
            )
        sizes = np.asarray(table["pixel_size_nm"], dtype=np.float64)
        bad = np.flatnonzero(~(np.isfinite(sizes) & (sizes > 0)))
        if bad.size:
            raise ValueError(
                "Nanometre features need pixel_size_nm for every particle; it is "
                f"missing for {_list_rows(table, list(bad))}."
            )
        return list(sizes)

    def _compute(self, images, masks, pixel_sizes, spec):
        n_particles = len(images)
        n_jobs = effective_n_jobs(self.n_jobs)
        if n_jobs == 1 or n_particles < 2:
            return _describe_chunk(images, masks, pixel_sizes, spec)
        # A few chunks per worker: balanced load without per-particle
        # dispatch overhead.
        n_chunks = min(n_particles, 4 * n_jobs)
        bounds = np.linspace(0, n_particles, n_chunks + 1).astype(int)
        chunks = Parallel(n_jobs=n_jobs)(
            delayed(_describe_chunk)(
                images[start:stop], masks[start:stop], pixel_sizes[start:stop], spec
            )
            for start, stop in zip(bounds[:-1], bounds[1:])
        )
        return [result for chunk in chunks for result in chunk]

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : None
            Ignored: the input is a particle table, not named numeric
            columns. Present for API compatibility.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"area"``, ``"moment_mu20"``, ``"histogram_07"``,
            ``"radial_profile_12"``, ... in column order.
        """
        check_is_fitted(self)
        return self._feature_names_out.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a table of images (or a stack of images), not a matrix.
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags
