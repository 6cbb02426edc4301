"""From a particle table to the image matrix: the thesis's three input modes."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..segmentation import particle_masks
from ..utils import as_particle_table, check_labels
from ._cutout import prepare_image

__all__ = ["MODES", "ParticlePreprocessor"]

#: Input modes of ``ParticlePreprocessor(mode=...)``.
MODES = ("auto", "surrounding", "cropped", "masked")


def _has_mask(table):
    """Boolean per row: does the particle come with an expert mask?"""
    if "mask" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return table["mask"].map(lambda mask: mask is not None).to_numpy(dtype=bool)


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

    _parameter_constraints = {
        "mode": [StrOptions(set(MODES))],
        "size": [Interval(Integral, 2, None, closed="left")],
        "keep_aspect": ["boolean"],
        "normalize": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self, mode="auto", size=28, *, keep_aspect=True, normalize=True, n_jobs=None
    ):
        self.mode = mode
        self.size = size
        self.keep_aspect = keep_aspect
        self.normalize = normalize
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and, for ``mode="auto"``, choose the mode.

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
