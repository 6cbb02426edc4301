"""A classification task whose answer lies in a known place, and its score."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["SPOT_CLASSES", "localisation_score", "make_spot_images"]

#: Labels of :func:`make_spot_images`: with and without the spot.
SPOT_CLASSES = ("spot", "no spot")


def _check_positive(name, value, kind=Real):
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")


def make_spot_images(
    n_samples=200,
    *,
    side=28,
    spot_sigma=1.5,
    spot_amplitude=3.0,
    distractor=False,
    random_state=None,
):
    """Noise images whose class is decided by a bright spot in the top-left.

    A check of attribution methods with a known answer. Every image is white
    Gaussian noise (standard deviation 1). Images of class ``"spot"`` carry
    a Gaussian spot (``spot_sigma`` pixels, peak ``spot_amplitude``) centred
    at a random place in the top-left quadrant, far enough from the
    quadrant's edges that the spot lies in it; images of class
    ``"no spot"`` do not. Only the top-left quadrant's pixels depend on the
    class, so a classifier that solves the task must base its decision on
    them, and a faithful saliency map of a ``"spot"`` image puts well over a
    quarter (the quadrant's share of the area) of its mass there. With
    ``distractor=True`` every image, of either class, also carries the same
    kind of spot in one of the other three quadrants, so that a bright spot
    alone says nothing.

    Parameters
    ----------
    n_samples : int, default=200
        Number of images; the classes alternate, so they are balanced.
    side : int, default=28
        Side of the square images in pixels, at least 12.
    spot_sigma : float, default=1.5
        Standard deviation of the spot's Gaussian profile, in pixels.
    spot_amplitude : float, default=3.0
        Peak value of the spot, in units of the noise's standard deviation.
    distractor : bool, default=False
        Add a class-independent spot in another quadrant to every image: a
        harder check, of whether a method tells the spot that decides the
        class from one that merely looks the same.
    random_state : int, RandomState instance or None, default=None
        Controls the noise and the spot positions.

    Returns
    -------
    X : ndarray of shape (n_samples, side * side), dtype float32
        The image matrix: one flattened image per row.
    y : ndarray of str of shape (n_samples,)
        ``"spot"`` or ``"no spot"``.
    centres : ndarray of shape (n_samples, 2)
        Row and column of the class spot's centre; NaN for ``"no spot"``.

    See Also
    --------
    localisation_score : The share of a saliency map in a region.

    Examples
    --------
    >>> from sklearn_lipnet.inspection import make_spot_images
    >>> X, y, centres = make_spot_images(4, random_state=0)
    >>> X.shape, y.tolist()
    ((4, 784), ['spot', 'no spot', 'spot', 'no spot'])
    >>> bool((centres[::2] < 14).all())
    True
    """
    _check_positive("n_samples", n_samples, Integral)
    _check_positive("spot_sigma", spot_sigma)
    _check_positive("spot_amplitude", spot_amplitude)
    if isinstance(side, bool) or not isinstance(side, Integral) or side < 12:
        raise ValueError(f"side must be an int of at least 12, got {side!r}.")
    half = side // 2
    margin = min(2.0 * spot_sigma, half / 2 - 1)
    rng = check_random_state(random_state)
    rows, cols = np.mgrid[:side, :side]

    def spot(centre):
        distance2 = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2
        return spot_amplitude * np.exp(-distance2 / (2 * spot_sigma**2))

    def centre_in(quadrant):
        low = np.array([quadrant // 2, quadrant % 2]) * half + margin
        return low + rng.uniform(0, half - 1 - 2 * margin, size=2)

    X = rng.standard_normal((n_samples, side, side))
    y = np.array([SPOT_CLASSES[i % 2] for i in range(n_samples)])
    centres = np.full((n_samples, 2), np.nan)
    for i in range(n_samples):
        if y[i] == SPOT_CLASSES[0]:
            centres[i] = centre_in(0)
            X[i] += spot(centres[i])
        if distractor:
            X[i] += spot(centre_in(rng.randint(1, 4)))
    return X.reshape(n_samples, -1).astype(np.float32), y, centres


def localisation_score(maps, region):
    """The share of each saliency map's mass that lies in a region.

    Parameters
    ----------
    maps : array-like of shape (n_samples, H, W)
        Non-negative maps, e.g. from :func:`saliency_maps`.
    region : array-like of bool of shape (H, W) or (n_samples, H, W)
        The region, one for all maps or one per map.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Mass in the region over total mass, in [0, 1]; a map of zeros scores
        NaN. A map spread evenly scores the region's share of the area.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.inspection import localisation_score
    >>> maps = np.ones((2, 4, 4))
    >>> maps[1, :2, :2] = 7
    >>> region = np.zeros((4, 4), dtype=bool)
    >>> region[:2, :2] = True
    >>> localisation_score(maps, region).tolist()
    [0.25, 0.7]
    """
    maps = np.asarray(maps, dtype=np.float64)
    region = np.asarray(region)
    if maps.ndim != 3:
        raise ValueError(f"maps must have shape (n_samples, H, W), got {maps.shape}.")
    if region.dtype != bool or region.shape not in (maps.shape, maps.shape[1:]):
        raise ValueError(
            f"region must be a boolean array of shape {maps.shape[1:]} or "
            f"{maps.shape}, got {region.dtype} of shape {region.shape}."
        )
    if (maps < 0).any() or not np.isfinite(maps).all():
        raise ValueError("maps must be finite and non-negative.")
    total = maps.sum(axis=(1, 2))
    inside = (maps * region).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / total, np.nan)
