"""``find_particles`` as a scikit-learn transformer."""

from numbers import Integral, Real

from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._finder import DEFAULTS, check_finder_settings, find_particles

__all__ = ["ParticleFinder"]


class ParticleFinder(TransformerMixin, BaseEstimator):
    """Find the particles of micrographs: micrographs in, particle table out.

    The transformer form of :func:`find_particles`, for pipelines that start
    from micrographs: ``make_pipeline(ParticleFinder(), model)`` classifies
    every particle of the micrographs passed to ``predict``. It learns
    nothing; ``fit`` only checks the parameters. One micrograph gives many
    rows, so the finder belongs in pipelines used to predict, not to fit
    on labelled particles.

    Parameters
    ----------
    pixel_size_nm : float, default=None
        Nanometres per pixel of micrographs without a ``pixel_size_nm``
        value; None: 1 nm.
    surrounding_nm : float, default=50.0
        Context kept around each particle's bounding box in its cut-out.
    min_diameter_nm : float, default=25.0
        Smallest particle sought.
    max_diameter_nm : float, default=400.0
        Largest particle sought.
    min_score : float, default=1.0
        Lowest membrane contrast of a particle, in noise standard deviations.
    n_jobs : int, default=None
        Micrographs searched in parallel (joblib semantics).

    Attributes
    ----------
    is_fitted_ : bool
        True once ``fit`` has run.

    See Also
    --------
    find_particles : The function this transformer calls.
    sklearn_lipnet.datasets.make_micrographs : Micrographs with known particles.

    Examples
    --------
    >>> from sklearn_lipnet.datasets import make_micrographs
    >>> from sklearn_lipnet.detection import ParticleFinder
    >>> micrographs, truth = make_micrographs(1, shape=384, random_state=0)
    >>> particles = ParticleFinder().fit_transform(micrographs)
    >>> len(particles) == len(truth)
    True
    >>> {"image", "mask", "pixel_size_nm", "diameter_nm"} <= set(particles.columns)
    True
    """

    _parameter_constraints = {
        "pixel_size_nm": [Interval(Real, 0, None, closed="neither"), None],
        "surrounding_nm": [Interval(Real, 0, None, closed="left")],
        "min_diameter_nm": [Interval(Real, 0, None, closed="neither")],
        "max_diameter_nm": [Interval(Real, 0, None, closed="neither")],
        "min_score": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        pixel_size_nm=None,
        surrounding_nm=DEFAULTS["surrounding_nm"],
        min_diameter_nm=DEFAULTS["min_diameter_nm"],
        max_diameter_nm=DEFAULTS["max_diameter_nm"],
        min_score=DEFAULTS["min_score"],
        n_jobs=None,
    ):
        self.pixel_size_nm = pixel_size_nm
        self.surrounding_nm = surrounding_nm
        self.min_diameter_nm = min_diameter_nm
        self.max_diameter_nm = max_diameter_nm
        self.min_score = min_score
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the parameters; the finder learns nothing from data.

        Parameters
        ----------
        X : ignored
            Micrographs, accepted for pipeline compatibility.
        y : ignored

        Returns
        -------
        self : ParticleFinder
        """
        check_finder_settings(
            self.surrounding_nm,
            self.min_diameter_nm,
            self.max_diameter_nm,
            self.min_score,
        )
        self.is_fitted_ = True
        return self

    def transform(self, X):
        """Find the particles of the micrographs ``X``.

        Parameters
        ----------
        X : pandas.DataFrame, 2-D array or sequence of 2-D arrays
            Micrographs, as for :func:`find_particles`.

        Returns
        -------
        particles : pandas.DataFrame
            The particle table :func:`find_particles` returns.
        """
        check_is_fitted(self)
        return find_particles(
            X,
            pixel_size_nm=self.pixel_size_nm,
            surrounding_nm=self.surrounding_nm,
            min_diameter_nm=self.min_diameter_nm,
            max_diameter_nm=self.max_diameter_nm,
            min_score=self.min_score,
            n_jobs=self.n_jobs,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags
