"""ParticleFeatures: the thesis's hand-made particle features as a transformer."""

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..segmentation._masks import (
    _check_segmentable,
    _segment_missing,
    _warn_not_found,
)
from ..utils import (
    as_particle_table,
    check_labels,
    describe_rows,
    has_expert_mask,
    row_label,
)
from ..utils._parallel import chunk_bounds
from ._description import (
    FEATURE_NAMES,
    MASK_CHECK,
    MASK_FEATURES,
    MASK_FREE_FEATURES,
    NANOMETRE_FEATURES,
    THESIS_FEATURES,
    FeatureSpec,
    describe_particles,
)

__all__ = ["ParticleFeatures", "FEATURE_NAMES", "THESIS_FEATURES"]

#: The features of ``features="auto"`` where some particle lacks an expert
#: mask: the mask-free ones, the thesis's with checked automatic masks, and
#: the check.
AUTO_MASKLESS_FEATURES = MASK_FREE_FEATURES + THESIS_FEATURES + (MASK_CHECK,)
PRESETS = ("all", "thesis", "mask_free", "auto")


class ParticleFeatures(TransformerMixin, BaseEstimator):
    """Hand-made features of particle images, as in the thesis's SVM.

    Turns a particle table (or a sequence of images) into a fixed-width
    float matrix, one row per particle: shape (area, perimeter,
    circularity, width, diameter), image moments, an intensity histogram,
    radial and edge density profiles, the membrane's signal to noise and
    the internal variance. Every feature is defined, with its units, in the
    user guide (``docs/features.md``) and available as a function in
    :mod:`sklearn_lipnet.features`.

    Mask features are computed inside the particle's mask: the table's
    ``mask`` column where there is one, an automatic segmentation of the
    centred particle where there is none. Mask-free features are computed
    about the centre of the cut-out, where a particle picker puts the
    particle; they hold up where automatic masks do not (small, noisy or
    crowded cut-outs, see ``docs/real_data.md``). Intensities are first mapped to [0, 1]
    per cut-out (see ``intensity_range``), so 8-bit, 16-bit and float
    images give the same features.

    Parameters
    ----------
    features : "all", "thesis", "mask_free", "auto", str or list of str, \
            default="all"
        Which features to compute, in the order of the output columns.
        ``"thesis"`` is the set of the thesis's SVM: area, circularity,
        moments, edge profile, histogram and internal variance. ``"all"``
        is every feature measured in a mask, in the order below; it
        includes the nanometre features ``maximum_width_nm`` and
        ``length_nm`` only when the table given to ``fit`` has a
        ``pixel_size_nm`` column. Names: ``"area"``, ``"perimeter"``,
        ``"circularity"``, ``"moments"`` (4 columns), ``"maximum_width"``,
        ``"diameter"``, ``"maximum_width_nm"``, ``"length_nm"``,
        ``"histogram"`` (``n_histogram_bins`` columns), ``"radial_profile"``
        and ``"edge_profile"`` (``n_profile_bins`` columns each),
        ``"signal_to_noise"``, ``"internal_variance"``.
        ``"mask_free"`` is every feature that needs no mask, measured about
        the cut-out's centre: ``"ring_profile"`` and ``"ring_spread"``
        (``n_profile_bins`` columns each), ``"angular_harmonics"`` (12),
        ``"orientation_coherence"`` (6), ``"density_moments"`` (6),
        ``"disc_histogram"`` (``n_histogram_bins``),
        ``"intensity_statistics"`` (4), ``"lbp"`` (10) and ``"haralick"``
        (8).
        ``"mask_trusted"`` checks every automatic mask
        (:func:`~sklearn_lipnet.segmentation.segmentation_quality`; expert
        masks are always trusted), measures the mask features of a particle
        whose mask fails in a centred disc about the size of its density
        instead, and records the choice as a column: 1 trusted, 0 fallback.
        ``"auto"`` decides in ``fit``: ``"thesis"`` when every particle has
        an expert mask, else the mask-free features, the thesis's with
        checked masks, and ``"mask_trusted"``.
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
    Bad input raises a ``ValueError`` naming the particle (by ``id``, else
    ``path``, else index) and the problem. The table checks name the first
    bad particle: an image that is not 2-D or has NaN or infinite pixels, a
    mask that is empty or of another shape. Masks of fewer than 16 pixels
    (typically a failed automatic segmentation) and missing pixel sizes for
    the nanometre features are listed all at once, so the rows can be
    dropped in one go. A particle touching the image border is measured as
    its visible part, with a warning naming it. The output never contains
    NaN.

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

    _parameter_constraints = {
        "features": [StrOptions({*PRESETS, *FEATURE_NAMES}), list, tuple],
        "n_histogram_bins": [Interval(Integral, 1, None, closed="left")],
        "n_profile_bins": [Interval(Integral, 1, None, closed="left")],
        "edge_profile_depth": [Interval(Real, 1, None, closed="left"), None],
        "intensity_range": [StrOptions({"percentile", "dtype"}), tuple, list],
        "n_jobs": [Integral, None],
    }

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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and decide the output columns.

        Parameters
        ----------
        X : pandas.DataFrame or sequence of 2-D arrays
            Particle table with an ``image`` column (and optionally
            ``mask`` and ``pixel_size_nm``), or images.
        y : array-like of shape (n_samples,) or None
            Labels: not used, but checked for missing values (None, NaN)
            and mixed types, which would fail later steps of a pipeline.

        Returns
        -------
        self : ParticleFeatures
            The fitted transformer.
        """
        table = as_particle_table(X)
        if y is not None:
            # The first step of a pipeline: say what is wrong with the labels
            # before the features of every particle are computed.
            check_labels(y)
        has_pixel_size = "pixel_size_nm" in table.columns
        spec = self._resolve_spec(has_pixel_size, has_expert_mask(table).all())
        self.features_ = spec.features
        # Plain data only (no custom objects), so that save_model can store
        # a fitted transformer without pickle.
        self._settings = {
            "n_histogram_bins": spec.n_histogram_bins,
            "n_profile_bins": spec.n_profile_bins,
            "edge_profile_depth": spec.edge_profile_depth,
            "intensity_range": spec.intensity_range,
        }
        self._feature_names_out = spec.column_names()
        self.n_features_out_ = len(self._feature_names_out)
        return self

    def _fitted_spec(self):
        settings = dict(self._settings)
        if not isinstance(settings["intensity_range"], str):
            settings["intensity_range"] = tuple(settings["intensity_range"])
        return FeatureSpec(features=tuple(self.features_), **settings)

    def _resolve_spec(self, has_pixel_size, has_expert_masks):
        """The settings that fix the columns, with what the constraints miss."""
        features = self.features
        if features == "all":
            features = tuple(
                name
                for name in MASK_FEATURES
                if has_pixel_size or name not in NANOMETRE_FEATURES
            )
        elif features == "thesis":
            features = THESIS_FEATURES
        elif features == "mask_free":
            features = MASK_FREE_FEATURES
        elif features == "auto":
            features = THESIS_FEATURES if has_expert_masks else AUTO_MASKLESS_FEATURES
        elif isinstance(features, str):
            features = (features,)
        features = tuple(features)
        if not features:
            raise ValueError("features must not be empty.")
        unknown = [name for name in features if name not in FEATURE_NAMES]
        if unknown:
            raise ValueError(
                f"Unknown feature(s) {unknown}; choose from {list(FEATURE_NAMES)} "
                f"or the presets {list(PRESETS)}."
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
        depth = self.edge_profile_depth
        return FeatureSpec(
            features=features,
            n_histogram_bins=int(self.n_histogram_bins),
            n_profile_bins=int(self.n_profile_bins),
            edge_profile_depth=None if depth is None else float(depth),
            intensity_range=self._resolve_intensity_range(),
        )

    def _resolve_intensity_range(self):
        value = self.intensity_range
        if isinstance(value, str):
            return value
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
        spec = self._fitted_spec()
        table = as_particle_table(X)
        pixel_sizes = self._pixel_sizes(table, spec)
        images = table["image"].tolist()
        if "mask" in table.columns:
            masks = table["mask"].tolist()
        else:
            masks = [None] * len(images)
        missing = [i for i, mask in enumerate(masks) if mask is None]
        if spec.needs_masks:
            _check_segmentable(table, images, missing)
        # Particles without a mask are segmented where they are described
        # (in the worker processes), so masks never travel between processes.
        results, not_found, untrusted = self._compute(images, masks, pixel_sizes, spec)
        if spec.checks_masks:
            # The check's verdict includes closed outlines not found.
            _warn_untrusted(table, untrusted, len(missing))
        elif spec.needs_masks:
            _warn_not_found(table, not_found, len(missing), stacklevel=4)

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
                f"{describe_rows(table, touching)}.",
                UserWarning,
                stacklevel=3,
            )
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
                f"missing for {describe_rows(table, list(bad))}."
            )
        return list(sizes)

    def _compute(self, images, masks, pixel_sizes, spec):
        """``describe_particles``'s results, the segmentation failures, and the
        automatic masks that failed the check (positions)."""
        n_workers, bounds = chunk_bounds(len(images), self.n_jobs)
        if n_workers == 1:
            return _segment_and_describe(images, masks, pixel_sizes, spec)
        chunks = Parallel(n_jobs=n_workers)(
            delayed(_segment_and_describe)(
                images[start:stop], masks[start:stop], pixel_sizes[start:stop], spec
            )
            for start, stop in bounds
        )
        results = [result for chunk, _, _ in chunks for result in chunk]
        not_found, untrusted = (
            [
                start + position
                for (start, _), chunk in zip(bounds, chunks)
                for position in chunk[part]
            ]
            for part in (1, 2)
        )
        return results, not_found, untrusted

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
        return np.asarray(self._feature_names_out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is a table of images (or a stack of images), not a matrix.
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _segment_and_describe(images, masks, pixel_sizes, spec):
    """Segment the particles without a mask, then describe every particle.

    Returns ``describe_particles``'s results, the positions (in this chunk)
    where the segmentation found no closed outline, and those where the
    automatic mask failed the check (when the features check masks).
    """
    # One BLAS thread, as joblib gives each worker: a multi-threaded BLAS
    # adds up the moments' dot products in another order, so the features
    # would change in their last digits with n_jobs. The products are small,
    # so threads would only add synchronisation anyway.
    with threadpool_limits(limits=1, user_api="blas"):
        return _segment_and_describe_here(images, masks, pixel_sizes, spec)


def _segment_and_describe_here(images, masks, pixel_sizes, spec):
    if not spec.needs_masks:
        return describe_particles(images, masks, pixel_sizes, spec), [], []
    masks = list(masks)
    not_found, qualities = _segment_missing(images, masks, check=spec.checks_masks)
    untrusted = [
        position
        for position, quality in enumerate(qualities)
        if quality is not None and not quality.trusted
    ]
    results = describe_particles(images, masks, pixel_sizes, spec, qualities)
    return results, not_found, untrusted


def _warn_untrusted(table, untrusted, n_segmented):
    """Warn, naming the rows, where an automatic mask failed the check."""
    if untrusted:
        warnings.warn(
            f"{len(untrusted)} of {n_segmented} automatic masks failed the "
            "segmentation check; their mask features are measured in a "
            "fallback disc (column 'mask_trusted' = 0): "
            f"{describe_rows(table, untrusted)}.",
            UserWarning,
            stacklevel=4,
        )
