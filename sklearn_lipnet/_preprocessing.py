"""From a particle table to the image matrix: the thesis's three input modes."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ._table import as_particle_table, particle_masks

MODES = ("auto", "surrounding", "cropped", "masked")


def _has_mask(table):
    """Boolean per row: does the particle come with an expert mask?"""
    if "mask" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return table["mask"].map(lambda mask: mask is not None).to_numpy(dtype=bool)


def _bounding_box(mask, square):
    """``(top, bottom, left, right)`` of the mask, grown to a square if asked.

    A square box may extend past the image (negative ``top``, ``bottom``
    beyond the height...); :func:`_crop` pads there.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if square:
        side = max(bottom - top, right - left)
        top -= (side - (bottom - top)) // 2
        left -= (side - (right - left)) // 2
        bottom, right = top + side, left + side
    return top, bottom, left, right


def _crop(array, box, fill):
    """``array[top:bottom, left:right]``, padded with ``fill`` outside it."""
    top, bottom, left, right = box
    height, width = array.shape
    out = np.full((bottom - top, right - left), fill, dtype=array.dtype)
    src_rows = slice(max(top, 0), min(bottom, height))
    src_cols = slice(max(left, 0), min(right, width))
    out[
        src_rows.start - top : src_rows.stop - top,
        src_cols.start - left : src_cols.stop - left,
    ] = array[src_rows, src_cols]
    return out


def _resize_matrix(length, size):
    """``(size, length)`` matrix resampling a line of ``length`` pixels.

    Shrinking averages the input pixels each output pixel covers (area
    weights: no aliasing); enlarging interpolates linearly. Rows sum to 1.
    """
    source = np.arange(length, dtype=np.float32)[None, :]
    step = np.float32(length / size)
    if length >= size:
        start = np.arange(size, dtype=np.float32)[:, None] * step
        covered = np.minimum(start + step, source + 1) - np.maximum(start, source)
        return np.clip(covered, 0, None) / step
    centre = (np.arange(size, dtype=np.float32)[:, None] + 0.5) * step - 0.5
    centre = np.clip(centre, 0, length - 1)
    return np.clip(1 - np.abs(centre - source), 0, None)


def _resize(image, size):
    """``image`` resampled to ``size x size`` by two small matrix products."""
    rows = _resize_matrix(image.shape[0], size)
    cols = _resize_matrix(image.shape[1], size)
    return rows @ image @ cols.T


def prepare_image(image, mask, mode, size, *, keep_aspect=True, normalize=True):
    """One particle as a ``size x size`` float32 image in the given mode.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        The cut-out.
    mask : ndarray of bool of shape (height, width) or None
        The particle; needed for ``"cropped"`` and ``"masked"``.
    mode : {"surrounding", "cropped", "masked"}
        The whole cut-out; the particle's bounding box; the bounding box with
        everything outside the mask set to the particle's mean intensity.
    size : int
        Side of the output in pixels.
    keep_aspect : bool, default=True
        Grow the region to a square (padding with the neutral value where it
        leaves the image) before resizing, so shapes are not distorted.
    normalize : bool, default=True
        Scale intensities to zero mean and unit standard deviation over the
        region (over the particle in ``"masked"`` mode); the neutral value
        is then 0.

    Returns
    -------
    prepared : ndarray of shape (size, size), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet._preprocessing import prepare_image
    >>> rows, cols = np.mgrid[:60, :80]
    >>> image = 100.0 + cols  # a ramp
    >>> disc = np.hypot(rows - 30, cols - 40) < 15
    >>> out = prepare_image(image, disc, "masked", 10)
    >>> out.shape, out.dtype
    ((10, 10), dtype('float32'))
    >>> float(out[0, 0])  # outside the disc: the neutral value
    0.0
    >>> bool(out[5, 0] < -1 < 1 < out[5, 9])  # the ramp, normalised
    True
    """
    image = np.asarray(image, dtype=np.float32)
    if mode == "surrounding":
        mask = np.ones(image.shape, dtype=bool)
    box = _bounding_box(mask, square=keep_aspect)
    inside = _crop(mask, box, False) if mode == "masked" else None
    valid = _crop(np.ones(image.shape, dtype=bool), box, False)
    kept = valid if inside is None else inside
    region = _crop(image, box, 0.0)
    reference = region[kept]
    if normalize:
        scale = reference.std()
        region -= reference.mean()
        if scale > 0:
            region /= scale
        neutral = 0.0
    else:
        neutral = reference.mean()
    region[~kept] = neutral
    return _resize(region, size).astype(np.float32, copy=False)


class ParticlePreprocessor(TransformerMixin, BaseEstimator):
    """Turn particle cut-outs into the image matrix a CNN consumes.

    Each particle is cut out in one of the thesis's input modes (section
    8.5), normalised per image and resized to ``size x size``; the result is
    flattened to one row per particle, like ``sklearn.datasets.load_digits``,
    so that imbalanced-learn samplers can sit between this step and
    :class:`~sklearn_lipnet.LipNetClassifier`.

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
    keep_aspect : bool, default=True
        Grow the cut-out to a square before resizing instead of stretching
        it, so elongated particles stay elongated.
    normalize : bool, default=True
        Per image, zero mean and unit standard deviation over the cut-out
        (over the particle in ``"masked"`` mode).
    n_jobs : int, default=None
        Parallel jobs for the automatic segmentation (joblib semantics).

    Attributes
    ----------
    mode_ : str
        The mode used: ``mode``, or what ``"auto"`` chose in ``fit``.

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
    """

    def __init__(
        self, mode="auto", size=28, *, keep_aspect=True, normalize=True, n_jobs=None
    ):
        self.mode = mode
        self.size = size
        self.keep_aspect = keep_aspect
        self.normalize = normalize
        self.n_jobs = n_jobs

    def _validate_params(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {self.mode!r}.")
        if not isinstance(self.size, Integral) or isinstance(self.size, bool):
            raise ValueError(f"size must be an integer, got {self.size!r}.")
        if self.size < 2:
            raise ValueError(f"size must be at least 2 pixels, got {self.size}.")
        for name in ("keep_aspect", "normalize"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"{name} must be True or False, got {getattr(self, name)!r}."
                )

    def fit(self, X, y=None):
        """Validate the parameters and, for ``mode="auto"``, choose the mode.

        Parameters
        ----------
        X : pandas.DataFrame, sequence of 2-D arrays or ndarray (n, h, w)
            Particle table (see :func:`~sklearn_lipnet.datasets.load_particles`).
        y : ignored

        Returns
        -------
        self : ParticlePreprocessor
        """
        self._validate_params()
        table = as_particle_table(X)
        if self.mode != "auto":
            self.mode_ = self.mode
            return self
        has_mask = _has_mask(table)
        self.mode_ = "masked" if has_mask.all() else "surrounding"
        if has_mask.any() and not has_mask.all():
            warnings.warn(
                f"{has_mask.sum()} of {len(has_mask)} particles have expert masks; "
                "mode='auto' uses 'surrounding' for all of them. Pass "
                "mode='masked' to use the expert masks and segment the others.",
                UserWarning,
                stacklevel=2,
            )
        return self

    def transform(self, X):
        """Cut out, normalise and resize every particle.

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
        if self.mode_ == "surrounding":
            masks = [None] * len(images)
        else:
            if self.mode == "auto" and not _has_mask(table).all():
                missing = int((~_has_mask(table)).sum())
                warnings.warn(
                    f"{missing} of {len(images)} particles have no expert mask "
                    "although the ones given to fit had; they are segmented "
                    "automatically.",
                    UserWarning,
                    stacklevel=2,
                )
            masks = particle_masks(table, n_jobs=self.n_jobs)
        out = np.empty((len(images), self.size * self.size), dtype=np.float32)
        # Resizing is two tiny matrix products per image: BLAS threads only
        # add synchronisation, which costs a factor of 10 on a busy machine.
        with threadpool_limits(limits=1, user_api="blas"):
            for row, (image, mask) in enumerate(zip(images, masks)):
                out[row] = prepare_image(
                    image,
                    mask,
                    self.mode_,
                    self.size,
                    keep_aspect=self.keep_aspect,
                    normalize=self.normalize,
                ).ravel()
        return out

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
