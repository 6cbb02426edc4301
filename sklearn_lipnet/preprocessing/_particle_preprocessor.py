"""From a particle table to the image matrix: the thesis's input modes and scales."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..segmentation import particle_masks
from ..utils import as_particle_table, check_labels, describe_rows, has_expert_mask
from ..utils._parallel import chunk_bounds
from ._cutout import prepare_image

__all__ = ["MODES", "SCALES", "ParticlePreprocessor"]

#: Input modes of ``ParticlePreprocessor(mode=...)``.
MODES = ("auto", "surrounding", "cropped", "masked")

#: Scales of ``ParticlePreprocessor(scale=...)``.
SCALES = ("fit", "fixed")


class ParticlePreprocessor(TransformerMixin, BaseEstimator):
    """Turn particle cut-outs into the image matrix a CNN consumes.

    Each particle is cut out in one of the thesis's input modes (section
    8.5), normalised per image and resampled to ``size x size``; the result
    is flattened to one row per particle, like ``sklearn.datasets.load_digits``,
    so that imbalanced-learn samplers can sit between this step and
    :class:`~sklearn_lipnet.LipNetClassifier`.

    By default (``scale="fit"``) every cut-out is resized to fill the
    output, as in the thesis, so a 60 nm and a 250 nm liposome look alike.
    ``scale="fixed"`` keeps the particles' physical size: every cut-out is
    resampled to ``canvas_nm / size`` nanometres per pixel and centred on
    the canvas (see :func:`~sklearn_lipnet.preprocessing.prepare_image` for
    what fills the canvas beyond the cut-out: never a padding constant).

    Parameters
    ----------
    mode : {"auto", "surrounding", "cropped", "masked"}, default="auto"
        ``"surrounding"``: the whole cut-out, surrounding included.
        ``"cropped"``: the bounding box of the particle.
        ``"masked"``: cropped, and everything outside the particle's mask
        set to a neutral value (the thesis's best mode).
        ``"auto"``: ``"masked"`` if every particle of the table passed to
        ``fit`` has an expert mask, else ``"surrounding"``: a CNN fed wrong
        automatic masks loses more than the surrounding costs it.
        Where ``"cropped"`` or ``"masked"`` needs a mask that a particle
        lacks, the automatic segmentation provides it.
    size : int, default=28
        Side of the output images (28 for LipNet-1/2/4/4c, 32 for LipNet-6).
    scale : {"fit", "fixed"}, default="fit"
        ``"fit"``: each particle's region fills the output (the thesis's
        set-up). ``"fixed"``: one physical scale for every particle,
        ``canvas_nm / size`` nm per pixel, so size stays visible; needs the
        pixel size of every cut-out (the table's ``pixel_size_nm`` column,
        or ``pixel_size_nm``).
    canvas_nm : float or None, default=None
        With ``scale="fixed"``: side of the canvas in nanometres. ``None``:
        the largest region of the table given to ``fit`` (particle bounding
        box, or the whole cut-out in ``"surrounding"`` mode), so that no
        training particle is cut. Ignored with ``scale="fit"``.
    pixel_size_nm : float or None, default=None
        With ``scale="fixed"``: nanometres per pixel of the cut-outs that
        have no ``pixel_size_nm`` value in the table (all of them when the
        input is a plain image sequence). The table's column wins where it
        has a value. Ignored with ``scale="fit"``.
    keep_aspect : bool, default=True
        Grow the cut-out to a square before resizing instead of stretching
        it, so elongated particles stay elongated (a fixed-scale canvas
        always keeps the aspect).
    normalize : bool, default=True
        Per image, zero mean and unit standard deviation over the cut-out
        (over the particle in ``"masked"`` mode).
    n_jobs : int, default=None
        Parallel jobs (joblib semantics) for the automatic segmentation and
        for preparing the images; the result does not depend on it. Worth
        it from a few thousand particles on: fewer stay in this process.

    Attributes
    ----------
    mode_ : str
        The mode used: ``mode``, or what ``"auto"`` chose in ``fit``.
    canvas_nm_ : float or None
        Side of the fixed-scale canvas in nanometres (``canvas_nm``, or the
        one chosen in ``fit``); ``None`` with ``scale="fit"``.

    See Also
    --------
    sklearn_lipnet.datasets.load_particles : Particle tables from disk.
    sklearn_lipnet.LipNetClassifier : The CNN that consumes the output.

    Examples
    --------
    >>> from sklearn_lipnet import ParticlePreprocessor
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> table, y = make_liposomes(6, random_state=0)
    >>> pre = ParticlePreprocessor(size=28).fit(table)
    >>> pre.mode_
    'masked'
    >>> X = pre.transform(table)
    >>> X.shape, X.dtype
    ((6, 784), dtype('float32'))
    >>> pre.get_feature_names_out()[:2].tolist()
    ['pixel_0_0', 'pixel_0_1']

    At a fixed scale of 400 nm / 64 px = 6.25 nm per pixel:

    >>> fixed = ParticlePreprocessor(size=64, scale="fixed", canvas_nm=400)
    >>> fixed.fit_transform(table).shape
    (6, 4096)
    """

    _parameter_constraints = {
        "mode": [StrOptions(set(MODES))],
        "size": [Interval(Integral, 2, None, closed="left")],
        "scale": [StrOptions(set(SCALES))],
        "canvas_nm": [Interval(Real, 0, None, closed="neither"), None],
        "pixel_size_nm": [Interval(Real, 0, None, closed="neither"), None],
        "keep_aspect": ["boolean"],
        "normalize": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        mode="auto",
        size=28,
        *,
        scale="fit",
        canvas_nm=None,
        pixel_size_nm=None,
        keep_aspect=True,
        normalize=True,
        n_jobs=None,
    ):
        self.mode = mode
        self.size = size
        self.scale = scale
        self.canvas_nm = canvas_nm
        self.pixel_size_nm = pixel_size_nm
        self.keep_aspect = keep_aspect
        self.normalize = normalize
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters; choose the mode (``"auto"``) and canvas.

        Parameters
        ----------
        X : pandas.DataFrame, sequence of 2-D arrays or ndarray (n, h, w)
            Particle table (see :func:`~sklearn_lipnet.datasets.load_particles`).
        y : array-like of shape (n_samples,) or None
            Labels: not used, but checked for missing values (None, NaN)
            and mixed types, which would fail later steps of a pipeline.

        Returns
        -------
        self : ParticlePreprocessor
        """
        table = as_particle_table(X)
        if y is not None:
            # The first step of a pipeline: say what is wrong with the labels
            # before every particle is prepared.
            check_labels(y)
        self.mode_ = self._choose_mode(table)
        self.canvas_nm_ = None
        if self.scale == "fixed":
            pixel_sizes = self._pixel_sizes(table)
            if self.canvas_nm is None:
                self.canvas_nm_ = self._largest_region_nm(table, pixel_sizes)
            else:
                self.canvas_nm_ = float(self.canvas_nm)
        return self

    def _choose_mode(self, table):
        if self.mode != "auto":
            return self.mode
        has_mask = has_expert_mask(table)
        if has_mask.any() and not has_mask.all():
            warnings.warn(
                f"{has_mask.sum()} of {len(has_mask)} particles have expert masks; "
                "mode='auto' uses 'surrounding' for all of them. Pass "
                "mode='masked' to use the expert masks and segment the others.",
                UserWarning,
                stacklevel=3,
            )
        return "masked" if has_mask.all() else "surrounding"

    def _pixel_sizes(self, table):
        """Nanometres per pixel of every cut-out: the column, else the parameter."""
        if "pixel_size_nm" in table.columns:
            sizes = pd.to_numeric(table["pixel_size_nm"], errors="coerce")
            sizes = sizes.to_numpy(dtype=np.float64)
        else:
            sizes = np.full(len(table), np.nan)
        if self.pixel_size_nm is not None:
            sizes = np.where(np.isnan(sizes), float(self.pixel_size_nm), sizes)
        missing = np.flatnonzero(np.isnan(sizes))
        if missing.size:
            raise ValueError(
                f"scale='fixed' needs the pixel size of every cut-out, but "
                f"{describe_rows(table, missing)} "
                f"{'has' if missing.size == 1 else 'have'} no pixel_size_nm. Add "
                "a 'pixel_size_nm' column to the table or pass "
                "ParticlePreprocessor(pixel_size_nm=...)."
            )
        return sizes

    def _masks(self, table):
        """The particle masks the mode needs (``None`` for surrounding)."""
        if self.mode_ == "surrounding":
            return [None] * len(table)
        return particle_masks(table, n_jobs=self.n_jobs)

    def _largest_region_nm(self, table, pixel_sizes):
        """Side in nm of the largest region (box or cut-out) in ``table``."""
        extents = []
        for image, mask in zip(table["image"], self._masks(table)):
            if mask is None:
                extents.append(max(image.shape))
            else:
                rows = np.flatnonzero(mask.any(axis=1))
                cols = np.flatnonzero(mask.any(axis=0))
                extents.append(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)
        return float(np.max(np.asarray(extents) * pixel_sizes))

    def transform(self, X):
        """Cut out, normalise and resample every particle.

        Parameters
        ----------
        X : pandas.DataFrame, sequence of 2-D arrays or ndarray (n, h, w)
            Particle table.

        Returns
        -------
        X_images : ndarray of shape (n_particles, size * size), dtype float32
            One flattened image per row.
        """
        check_is_fitted(self, "mode_")
        table = as_particle_table(X)
        images = table["image"].tolist()
        # Model files written before fixed-scale canvases have no canvas_nm_.
        canvas_nm = getattr(self, "canvas_nm_", None)
        if canvas_nm is None:
            pixel_sizes = [None] * len(images)
        else:
            pixel_sizes = self._pixel_sizes(table)
        if self.mode_ != "surrounding":
            missing = int((~has_expert_mask(table)).sum())
            if self.mode == "auto" and missing:
                warnings.warn(
                    f"{missing} of {len(images)} particles have no expert mask "
                    "although the ones given to fit had; they are segmented "
                    "automatically.",
                    UserWarning,
                    stacklevel=2,
                )
        masks = self._masks(table)
        settings = {
            "mode": self.mode_,
            "size": self.size,
            "keep_aspect": self.keep_aspect,
            "normalize": self.normalize,
            "canvas_nm": canvas_nm,
        }
        n_workers, bounds = chunk_bounds(len(images), self.n_jobs)
        if n_workers == 1:
            return _prepare_all(images, masks, pixel_sizes, settings)
        parts = Parallel(n_jobs=n_workers)(
            delayed(_prepare_all)(
                images[start:stop], masks[start:stop], pixel_sizes[start:stop], settings
            )
            for start, stop in bounds
        )
        return np.concatenate(parts)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``pixel_<row>_<col>``.

        Parameters
        ----------
        input_features : ignored
            Present for the scikit-learn API; the input is a particle table.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "mode_")
        rows, cols = np.divmod(np.arange(self.size * self.size), self.size)
        return np.asarray([f"pixel_{r}_{c}" for r, c in zip(rows, cols)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _prepare_all(images, masks, pixel_sizes, settings):
    """:func:`prepare_image` of each particle, as rows of one float32 matrix."""
    size = settings["size"]
    out = np.empty((len(images), size * size), dtype=np.float32)
    # Resizing is two tiny matrix products per image: BLAS threads only add
    # synchronisation, which costs a factor of 10 on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        for row, (image, mask, pixel_size_nm) in enumerate(
            zip(images, masks, pixel_sizes)
        ):
            out[row] = prepare_image(
                image, mask, pixel_size_nm=pixel_size_nm, **settings
            ).ravel()
    return out
