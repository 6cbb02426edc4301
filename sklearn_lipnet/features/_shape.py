"""Shape features of a particle mask: size, outline and extent.

Every function takes a 2-D boolean ``mask`` (``True`` on the particle) and
returns lengths in pixels and areas in square pixels. Pixels are treated as
samples of a continuous outline at their centres: a pixel belongs to the
particle when its centre lies inside it. The estimators below are chosen to
be unbiased for such sampled outlines (a digitised disk of radius ``r`` has
area close to ``pi * r**2`` and perimeter close to ``2 * pi * r``), not for
the staircase outline of the pixel squares.

The image border counts as particle boundary: a particle cut by the border
is measured as the visible part.
"""

import numpy as np

from ..utils import check_mask
from ._geometry import ParticleGeometry

__all__ = [
    "area",
    "perimeter",
    "circularity",
    "maximum_width",
    "diameter",
]


def area(mask):
    """Area of the particle: the number of mask pixels.

    Parameters
    ----------
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.

    Returns
    -------
    area : float
        Area in square pixels. Multiply by ``pixel_size_nm ** 2`` for nm^2.

    Raises
    ------
    ValueError
        If the mask is empty or not 2-D.

    See Also
    --------
    perimeter, circularity

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import area
    >>> yy, xx = np.mgrid[-30:31, -30:31]
    >>> disk = xx**2 + yy**2 <= 20**2
    >>> round(area(disk) / (np.pi * 20**2), 2)
    1.0
    """
    return float(np.count_nonzero(check_mask(mask)))


def _perimeter_of(geometry):
    padded = geometry.padded
    # Cauchy-Crofton: the length of a curve is proportional to the number of
    # times straight lines cross it, averaged over directions. Counting
    # inside/outside transitions along rows, columns and both diagonals is
    # a fully vectorised estimate that, unlike counting boundary pixels, is
    # unbiased for round shapes (a disk of radius r gives close to 2 pi r).
    horizontal = np.count_nonzero(padded[:, 1:] != padded[:, :-1])
    vertical = np.count_nonzero(padded[1:, :] != padded[:-1, :])
    diagonal = np.count_nonzero(padded[1:, 1:] != padded[:-1, :-1])
    antidiagonal = np.count_nonzero(padded[1:, :-1] != padded[:-1, 1:])
    # Diagonal scan lines are 1/sqrt(2) pixels apart.
    crossings = horizontal + vertical + (diagonal + antidiagonal) / np.sqrt(2)
    return float(np.pi / 8 * crossings)


def perimeter(mask):
    """Length of the particle outline (Crofton estimate).

    The outline length is estimated with the Cauchy-Crofton formula from the
    number of inside/outside transitions along rows, columns and both
    diagonals; the result equals
    :func:`skimage.measure.perimeter_crofton` with four directions. Holes
    contribute their outline too.

    Parameters
    ----------
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.

    Returns
    -------
    perimeter : float
        Perimeter in pixels, within 1 % of ``2 * pi * r`` for a digitised
        disk of radius ``r >= 30`` pixels (4 % for ``r = 10``, 11 % for
        ``r = 3``).

    Raises
    ------
    ValueError
        If the mask is empty or not 2-D.

    See Also
    --------
    area, circularity

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import perimeter
    >>> yy, xx = np.mgrid[-40:41, -40:41]
    >>> disk = xx**2 + yy**2 <= 30**2
    >>> round(perimeter(disk) / (2 * np.pi * 30), 2)
    1.01
    """
    return _perimeter_of(ParticleGeometry(check_mask(mask)))


def _circularity_of(geometry, perimeter=None):
    # A non-empty mask always has transitions, so the perimeter is positive.
    if perimeter is None:
        perimeter = _perimeter_of(geometry)
    return 4 * np.pi * geometry.area / perimeter**2


def circularity(mask):
    """Circularity ``4 * pi * area / perimeter**2`` of the particle.

    Parameters
    ----------
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.

    Returns
    -------
    circularity : float
        Dimensionless; close to 1 for a disk (0.98 for radius 30 pixels,
        0.94 for radius 10), smaller for elongated or ragged outlines
        (0.83 for an ellipse with axis ratio 2, 0.52 for ratio 4). On masks of a few
        pixels the discretisation dominates and values above 1 occur (a
        single pixel gives 1.75).

    Raises
    ------
    ValueError
        If the mask is empty or not 2-D.

    See Also
    --------
    area, perimeter

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import circularity
    >>> yy, xx = np.mgrid[-40:41, -40:41]
    >>> round(circularity(xx**2 + yy**2 <= 30**2), 1)
    1.0
    >>> round(circularity((xx / 36) ** 2 + (yy / 9) ** 2 <= 1), 2)
    0.52
    """
    return float(_circularity_of(ParticleGeometry(check_mask(mask))))


def maximum_width(mask):
    """Largest width of the particle: diameter of its largest inscribed disk.

    Computed as twice the maximum of the Euclidean distance transform of the
    mask (the distance from a particle pixel's centre to the nearest
    background pixel's centre). For an ellipse this is its minor axis; for
    a polygon, twice the maximum of the distance transform, as in the
    thesis.

    Parameters
    ----------
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.

    Returns
    -------
    maximum_width : float
        Width in pixels; within about 1 pixel of the minor axis ``2 * b`` of
        a digitised ellipse. Multiply by ``pixel_size_nm`` for nanometres.

    Raises
    ------
    ValueError
        If the mask is empty or not 2-D.

    See Also
    --------
    diameter : greatest distance across the particle.

    Notes
    -----
    The thesis describes "maximum width" of an ellipse as its largest axis,
    which is what :func:`diameter` measures; we keep one definition for all
    shapes (the inscribed disk) so that width and diameter differ for
    elongated particles.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import maximum_width
    >>> yy, xx = np.mgrid[-50:51, -50:51]
    >>> ellipse = (xx / 40) ** 2 + (yy / 20) ** 2 <= 1
    >>> round(maximum_width(ellipse))
    40
    """
    return float(_maximum_width_of(ParticleGeometry(check_mask(mask))))


def _maximum_width_of(geometry):
    # Depths are distances to the outline, half a pixel less than the
    # distance transform.
    return 2 * (geometry.depths.max() + 0.5)


def _row_extremes(padded):
    """Coordinates (row, column) of the first and of the last pixel per row.

    The extremes of the particle in every direction are among these points,
    two per row instead of every pixel. Returns the first points and the
    last points, each of shape (n_rows, 2).
    """
    rows = np.flatnonzero(padded.any(axis=1))
    sub = padded[rows]
    first = np.column_stack([rows, sub.argmax(axis=1)]).astype(float)
    last = np.column_stack([rows, sub.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)])
    return first, last.astype(float)


def diameter(mask):
    """Greatest distance between two points of the particle (maximum Feret).

    The distance is measured between the centres of the two farthest
    particle pixels (the widest projection of the particle on 128
    directions) plus half a pixel, which makes it unbiased for digitised
    outlines: the extreme pixel centres lie on average a quarter pixel
    inside the true outline. For an ellipse this is its major axis. The
    thesis's "length" is this diameter in nanometres.

    Parameters
    ----------
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.

    Returns
    -------
    diameter : float
        Diameter in pixels; within about 1 pixel of the major axis ``2 * a``
        of a digitised ellipse. Multiply by ``pixel_size_nm`` for
        nanometres. A single pixel gives 0.5.

    Raises
    ------
    ValueError
        If the mask is empty or not 2-D.

    See Also
    --------
    maximum_width : diameter of the largest inscribed disk.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import diameter
    >>> yy, xx = np.mgrid[-50:51, -50:51]
    >>> ellipse = (xx / 40) ** 2 + (yy / 20) ** 2 <= 1
    >>> round(diameter(ellipse))
    80
    """
    return float(_diameter_of(ParticleGeometry(check_mask(mask))))


#: Directions over half a turn on which ``diameter`` projects the particle.
#: The widest of 128 sampled directions is at most cos(pi / 256) short of
#: the true maximum, 0.008 pixels for a particle 100 pixels long.
_FERET_DIRECTIONS = np.stack(
    [np.cos(np.arange(128) * np.pi / 128), np.sin(np.arange(128) * np.pi / 128)]
)


def _diameter_of(geometry):
    # The greatest distance between two points is the greatest extent of
    # the particle's projection on a line; projecting on many directions at
    # once is one matrix product, cheaper than a convex hull and pairwise
    # distances, and has no degenerate cases.
    # On the directions sampled (angles in [0, pi), non-negative column
    # component) a row's projection grows with the column, so the largest
    # projection is at a last pixel and the smallest at a first one.
    first, last = _row_extremes(geometry.padded)
    lowest = (first @ _FERET_DIRECTIONS).min(axis=0)
    extent = (last @ _FERET_DIRECTIONS).max(axis=0) - lowest
    return extent.max() + 0.5
