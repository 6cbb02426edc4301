"""Mask-free texture features: local binary patterns, Haralick, statistics.

They describe how the intensity varies from pixel to pixel over the whole
cut-out, which is what distinguishes a grainy crystal from smooth ice or a
membrane from noise, without a segmentation. They take a 2-D ``image``; the
texture of an image does not depend on its intensity scale, so each first
maps the cut-out to [0, 1] (see ``intensity_range``) and quantises it.
"""

import numbers

import numpy as np
from skimage.feature import graycomatrix, graycoprops

from ._centred import _check_centred_image, centred_disc
from ._intensity import _intensity_range_of

__all__ = ["haralick_features", "intensity_statistics", "lbp_histogram"]

#: Properties of :func:`haralick_features`, per distance.
HARALICK_PROPERTIES = ("contrast", "homogeneity", "energy", "correlation")
#: Directions of the co-occurrence matrices: 0, 45, 90 and 135 degrees.
_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
#: Columns of :func:`intensity_statistics`.
STATISTIC_NAMES = ("mean", "std", "skewness", "kurtosis")


def _normalized(image, intensity_range):
    low, high = _intensity_range_of(image, intensity_range)
    if not high > low:
        return np.full(image.shape, 0.5)
    return np.clip((image - low) / (high - low), 0.0, 1.0)


def _quantized(normalized, levels):
    """Integer levels ``0 ... levels - 1`` of an image in [0, 1]."""
    return np.minimum((normalized * levels).astype(np.intp), levels - 1).astype(
        np.uint8 if levels <= 256 else np.uint16
    )


def _check_positive_int(value, name, minimum=1):
    if (
        not isinstance(value, numbers.Integral)
        or isinstance(value, bool)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def lbp_histogram(image, n_points=8, radius=1, intensity_range="percentile"):
    """Histogram of rotation-invariant uniform local binary patterns.

    Each pixel is compared with ``n_points`` neighbours on a circle of
    ``radius`` pixels (bilinearly interpolated): a neighbour at least as
    bright as the centre is a 1. Patterns with at most two 0/1 transitions
    around the circle ("uniform": spots, edges, corners, flat areas) are
    labelled by their number of ones, ``0 ... n_points``; all others share
    the label ``n_points + 1``
    (:func:`skimage.feature.local_binary_pattern`, ``method="uniform"``).
    Only pixels whose whole circle lies inside the cut-out are counted.
    The labels do not change when the particle is rotated by a multiple of
    ``360 / n_points`` degrees (nor, nearly, by other angles).

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Finite, at least ``2 * radius + 3`` pixels on each side.
    n_points : int, default=8
        Neighbours per pixel.
    radius : float, default=1
        Radius of the circle of neighbours, in pixels.
    intensity_range : {"percentile", "dtype"} or (float, float), \
            default="percentile"
        How the image is mapped to [0, 1] and then to 256 levels before the
        comparisons (see :func:`normalize_intensity`): ties between pixels
        that differ by less than a level count as "at least as bright".

    Returns
    -------
    histogram : ndarray of shape (n_points + 2,)
        Fraction of the pixels with each label; sums to 1. A flat image is
        all label ``n_points``; a linear ramp along a row or column is all
        label ``n_points // 2 + 1`` (the brighter half of the circle and the
        two neighbours level with the centre).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import lbp_histogram
    >>> ramp = np.tile(np.arange(20.0), (20, 1))
    >>> lbp_histogram(ramp).round(2)
    array([0., 0., 0., 0., 0., 1., 0., 0., 0., 0.])
    """
    image = _check_centred_image(image)
    n_points = _check_positive_int(n_points, "n_points", minimum=2)
    radius = float(radius)
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a positive number, got {radius!r}.")
    margin = int(np.ceil(radius))
    if min(image.shape) < 2 * margin + 3:
        raise ValueError(
            f"the cut-out must be at least {2 * margin + 3} pixels on each side "
            f"for radius={radius}, got shape {image.shape}"
        )
    levels = _quantized(_normalized(image, intensity_range), 256)
    return _lbp_histogram_of(levels, n_points, radius)


def _lbp_histogram_of(levels, n_points, radius):
    margin = int(np.ceil(radius))
    labels = _uniform_lbp_labels(levels, n_points, radius, margin)
    return np.bincount(labels.ravel(), minlength=n_points + 2) / labels.size


def _uniform_lbp_labels(levels, n_points, radius, margin):
    """Uniform LBP labels of the pixels at least ``margin`` px from the border.

    ``skimage.feature.local_binary_pattern(levels, n_points, radius,
    "uniform")`` (scikit-image 0.26) at those pixels, bit for bit: the same
    neighbour offsets (rounded to 5 decimals), the same bilinear
    interpolation in float64 with the same operations in the same order,
    and the same count of 0/1 transitions (around the circle but not across
    its start). It works on whole shifted copies of the image, one per
    neighbour, instead of pixel by pixel, which is faster; and
    a neighbour counts as at least as bright as the centre when it is, not
    within a tolerance, so the result does not depend on the scikit-image
    version. ``margin >= radius`` keeps every circle inside the image.
    """
    image = np.asarray(levels, dtype=np.float64)
    height, width = image.shape
    angles = 2 * np.pi * np.arange(n_points, dtype=np.float64) / n_points
    row_offsets = np.round(-radius * np.sin(angles), 5)
    col_offsets = np.round(radius * np.cos(angles), 5)
    rows = np.arange(margin, height - margin)
    cols = np.arange(margin, width - margin)
    centre = image[margin : height - margin, margin : width - margin]
    counts = np.uint8 if n_points < 256 else np.intp
    ones = np.zeros(centre.shape, dtype=counts)
    changes = np.zeros(centre.shape, dtype=counts)
    previous = None
    for row_offset, col_offset in zip(row_offsets, col_offsets):
        # Per row and per column, as scikit-image computes them per pixel:
        # ``r + offset - floor(r + offset)`` differs in its last bits from
        # row to row.
        row_at, col_at = rows + row_offset, cols + col_offset
        top, left = np.floor(row_at), np.floor(col_at)
        row_weight = (row_at - top)[:, None]
        col_weight = col_at - left
        top, left = top.astype(np.intp), left.astype(np.intp)
        bottom, right = np.ceil(row_at).astype(np.intp), np.ceil(col_at).astype(np.intp)
        if not (row_weight.any() or col_weight.any()):
            neighbour = _shifted(image, top, left)
        else:
            upper = (1 - col_weight) * _shifted(image, top, left)
            upper += col_weight * _shifted(image, top, right)
            lower = (1 - col_weight) * _shifted(image, bottom, left)
            lower += col_weight * _shifted(image, bottom, right)
            neighbour = (1 - row_weight) * upper
            neighbour += row_weight * lower
        bit = neighbour >= centre
        ones += bit
        if previous is not None:
            changes += bit != previous
        previous = bit
    return np.where(changes <= 2, ones, n_points + 1).astype(np.intp)


def _shifted(image, rows, cols):
    """``image[np.ix_(rows, cols)]``, a view where both run consecutively.

    ``rows`` and ``cols`` are floors (or ceilings) of consecutive integers
    plus one offset, so they never decrease; spanning exactly their length
    they step by one, unless rounding put two neighbours on one side of an
    integer and the next two apart, which needs an offset within about
    1e-12 of an integer that is not one. Offsets rounded to 5 decimals are
    not, so the ends tell (and cost far less than a check of every step).
    """
    if rows[-1] - rows[0] == rows.size - 1 and cols[-1] - cols[0] == cols.size - 1:
        return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return image[np.ix_(rows, cols)]


def haralick_features(image, levels=16, distances=(1, 2), intensity_range="percentile"):
    """Haralick's texture measures from grey-level co-occurrence matrices.

    The image is mapped to [0, 1] (see ``intensity_range``) and quantised
    to ``levels`` grey levels; for each distance ``d`` the symmetric,
    normalised co-occurrence matrix ``P(i, j)`` of pixel pairs ``d`` pixels
    apart is counted in the four directions 0, 45, 90 and 135 degrees
    (:func:`skimage.feature.graycomatrix`), each property below is computed
    per direction (:func:`skimage.feature.graycoprops`) and averaged over
    them, which makes it nearly independent of the particle's orientation:

    - ``contrast``: ``sum P(i, j) (i - j)**2``, in squared levels;
    - ``homogeneity``: ``sum P(i, j) / (1 + (i - j)**2)``, in (0, 1];
    - ``energy``: ``sqrt(sum P(i, j)**2)``, in (0, 1];
    - ``correlation``: the correlation of ``i`` and ``j`` over ``P``, in
      [-1, 1]; 1 where the image is constant.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Finite, larger than the largest distance.
    levels : int, default=16
        Grey levels after quantisation (2 to 256).
    distances : sequence of int, default=(1, 2)
        Pixel pair distances.
    intensity_range : {"percentile", "dtype"} or (float, float), \
            default="percentile"
        How the image is mapped to [0, 1] (see :func:`normalize_intensity`).

    Returns
    -------
    features : ndarray of shape (4 * len(distances),)
        ``contrast, homogeneity, energy, correlation`` for the first
        distance, then for the next. A constant image gives 0, 1, 1, 1; a
        one-pixel checkerboard of two levels ``0`` and ``L - 1`` has
        contrast ``(L - 1)**2`` along rows and columns and 0 along the
        diagonals, so ``(L - 1)**2 / 2`` at distance 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import haralick_features
    >>> checkerboard = np.indices((16, 16)).sum(axis=0) % 2
    >>> haralick_features(checkerboard, levels=4, distances=[1]).round(2)
    array([4.5 , 0.55, 0.71, 0.  ])
    """
    image = _check_centred_image(image)
    levels = _check_positive_int(levels, "levels", minimum=2)
    if levels > 256:
        raise ValueError(f"levels must be at most 256, got {levels}.")
    distances = [_check_positive_int(d, "distances") for d in np.ravel(distances)]
    if not distances:
        raise ValueError("distances must not be empty.")
    if max(distances) >= min(image.shape):
        raise ValueError(
            f"distances up to {max(distances)} px need a cut-out larger than "
            f"that, got shape {image.shape}"
        )
    quantized = _quantized(_normalized(image, intensity_range), levels)
    return _haralick_of(quantized, levels, tuple(distances))


def _haralick_of(quantized, levels, distances):
    matrices = graycomatrix(
        quantized, distances, _ANGLES, levels=levels, symmetric=True, normed=True
    )
    # graycoprops gives (n_distances, n_angles) per property.
    table = np.stack(
        [graycoprops(matrices, prop).mean(axis=1) for prop in HARALICK_PROPERTIES],
        axis=1,
    )
    return table.ravel()


def intensity_statistics(image):
    """Mean, standard deviation, skewness and kurtosis over the inscribed disc.

    Over the pixels of the cut-out's inscribed disc (see
    :func:`ring_profile`): mean, population standard deviation, skewness
    ``E[(v - mean)**3] / std**3`` and excess kurtosis
    ``E[(v - mean)**4] / std**4 - 3``.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Finite, at least 3 x 3 pixels.

    Returns
    -------
    statistics : ndarray of shape (4,)
        Mean and standard deviation in image units, skewness and kurtosis
        dimensionless; a constant disc has 0 for the last three.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import intensity_statistics
    >>> halves = np.tile(np.where(np.arange(40) < 20, 0.0, 1.0), (40, 1))
    >>> intensity_statistics(halves).round(2)  # symmetric, two values
    array([ 0.5,  0.5,  0. , -2. ])
    """
    image = _check_centred_image(image)
    disc = centred_disc(image.shape)
    return _statistics_of(image[disc.inside])


def _statistics_of(values):
    mean = values.mean()
    deviation = values - mean
    variance = np.mean(deviation**2)
    if not variance > 1e-24 * max(mean * mean, 1.0):
        return np.array([mean, 0.0, 0.0, 0.0])
    std = np.sqrt(variance)
    standardized = deviation / std
    # Products, not ``**3``: numpy hands a cube to libm's pow, which is slow
    # on such values; the moments agree to rounding.
    squares = standardized * standardized
    skewness = np.mean(squares * standardized)
    return np.array([mean, std, skewness, np.mean(squares * squares) - 3.0])
