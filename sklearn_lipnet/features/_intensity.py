"""Intensity features of a particle: normalisation, histogram, moments, variance.

The functions take a 2-D ``image`` and a boolean ``mask`` of the same shape
and describe the image values inside the mask. They work in the units of the
image they are given; :class:`~sklearn_lipnet.ParticleFeatures` first maps
every cut-out to the common range [0, 1] with :func:`normalize_intensity`, so
that 8-bit, 16-bit and floating-point images of the same particle give the
same features.
"""

import numbers

import numpy as np

from ..utils import check_image, check_mask
from ._geometry import ParticleGeometry

__all__ = [
    "normalize_intensity",
    "intensity_histogram",
    "central_moments",
    "internal_variance",
]

#: Percentiles of the cut-out mapped to 0 and 1 by ``normalize_intensity``.
INTENSITY_PERCENTILES = (1.0, 99.0)


def _check_image_and_mask(image, mask):
    """Validate the pair and return (image as float array, bool mask)."""
    image = np.asarray(image)
    if image.dtype == bool:  # a mask as its own weights: the shape's moments
        image = image.astype(np.float64)
    image = check_image(image)
    mask = check_mask(mask, image.shape)
    check_image(image, finite_where=mask)
    return image.astype(np.float64, copy=False), mask


def _percentiles(image, percentiles):
    """``np.percentile(image, percentiles)``, faster for 8- and 16-bit images.

    Same linear interpolation between order statistics as numpy, but found
    from the cumulative histogram of the integer values instead of by
    partitioning, which is several times faster for camera images.
    """
    if image.dtype not in (np.uint8, np.uint16):
        return np.percentile(image, percentiles)
    cumulative = np.cumsum(np.bincount(image.ravel()))
    n_values = image.size
    positions = np.asarray(percentiles, dtype=np.float64) / 100 * (n_values - 1)
    below = np.floor(positions)
    # The value of order statistic k is the first value whose cumulative
    # count exceeds k.
    value_below = np.searchsorted(cumulative, below, side="right")
    value_above = np.searchsorted(
        cumulative, np.minimum(below + 1, n_values - 1), side="right"
    )
    return value_below + (positions - below) * (value_above - value_below)


def _intensity_range_of(image, intensity_range="percentile"):
    """Return the (low, high) intensities that ``normalize_intensity`` maps to 0, 1.

    See :func:`normalize_intensity` for the meaning of ``intensity_range``.
    """
    image = np.asarray(image)
    if isinstance(intensity_range, str):
        if intensity_range == "percentile":
            # np.percentile on the raw values is exact and, since the
            # percentile of a linearly rescaled image is the rescaled
            # percentile, makes uint8, uint16 and float versions of one
            # image normalise identically.
            low, high = _percentiles(image, INTENSITY_PERCENTILES)
            return float(low), float(high)
        if intensity_range == "dtype":
            if np.issubdtype(image.dtype, np.integer):
                info = np.iinfo(image.dtype)
                return float(info.min), float(info.max)
            return 0.0, 1.0
        raise ValueError(
            "intensity_range must be 'percentile', 'dtype' or a (low, high) "
            f"pair, got {intensity_range!r}."
        )
    low, high = intensity_range
    return float(low), float(high)


def normalize_intensity(image, intensity_range="percentile"):
    """Map image intensities linearly to [0, 1], clipping outliers.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Any integer or floating-point image; it must be finite.
    intensity_range : {"percentile", "dtype"} or (float, float), \
            default="percentile"
        The intensities mapped to 0 and 1:

        - ``"percentile"``: the 1st and 99th percentiles of the whole image
          (particle and surrounding), so contrast is relative to the
          cut-out and a few hot or dead pixels do not matter. Images of the
          same particle stored as uint8, uint16 or float normalise to the
          same values.
        - ``"dtype"``: the range of the integer dtype (0-255 for uint8,
          0-65535 for uint16); floating-point images are taken to be in
          [0, 1] already. Keeps differences of exposure between images.
        - ``(low, high)``: a fixed range for every image.

    Returns
    -------
    normalized : ndarray of shape (height, width), dtype float64
        Values in [0, 1]; values beyond the range are clipped. An image
        whose range is empty (a constant image under ``"percentile"``)
        becomes 0.5 everywhere.

    See Also
    --------
    skimage.exposure.rescale_intensity : the same mapping with more options.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import normalize_intensity
    >>> image8 = np.arange(0, 250, 10, dtype=np.uint8).reshape(5, 5)
    >>> image16 = image8.astype(np.uint16) * 257
    >>> np.allclose(normalize_intensity(image8), normalize_intensity(image16))
    True
    >>> normalize_intensity(np.full((2, 2), 7.0))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    low, high = _intensity_range_of(image, intensity_range)
    image = np.asarray(image, dtype=np.float64)
    if not high > low:
        return np.full(image.shape, 0.5)
    return np.clip((image - low) / (high - low), 0.0, 1.0)


def _check_n_bins(n_bins):
    if (
        not isinstance(n_bins, numbers.Integral)
        or isinstance(n_bins, bool)
        or n_bins < 1
    ):
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    return int(n_bins)


def _histogram_of_values(values, n_bins, value_range):
    low, high = value_range
    # Equal-width bins by integer division: one pass, no sorting. Values on
    # or beyond the range edges land in the first and last bins.
    # Truncation instead of floor: they differ only below 0, which the clip
    # sends to the first bin either way.
    index = ((values - low) * (n_bins / (high - low))).astype(np.intp)
    _clip_index(index, n_bins)
    counts = np.bincount(index, minlength=n_bins)
    return counts / values.size


def _clip_index(index, n_bins):
    """``np.clip(index, 0, n_bins - 1, out=index)``, with less overhead."""
    np.minimum(index, n_bins - 1, out=index)
    return np.maximum(index, 0, out=index)


def intensity_histogram(image, mask, n_bins=32, value_range=(0.0, 1.0)):
    """Histogram of the intensities inside the mask, as fractions of its pixels.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Intensities, finite inside the mask.
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.
    n_bins : int, default=32
        Number of equal-width bins (the thesis uses 32).
    value_range : (float, float), default=(0.0, 1.0)
        Lower edge of the first bin and upper edge of the last bin. Values
        outside are counted in the first or last bin.

    Returns
    -------
    histogram : ndarray of shape (n_bins,)
        Fraction of the mask's pixels in each bin; sums to 1, so particles
        of different sizes are comparable.

    Raises
    ------
    ValueError
        On an empty mask, NaN pixels inside the mask, shapes that differ or
        an empty ``value_range``.

    See Also
    --------
    normalize_intensity : brings images to the default range [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import intensity_histogram
    >>> image = np.array([[0.1, 0.1], [0.6, 0.9]])
    >>> intensity_histogram(image, np.ones((2, 2), bool), n_bins=4)
    array([0.5 , 0.  , 0.25, 0.25])
    """
    image, mask = _check_image_and_mask(image, mask)
    n_bins = _check_n_bins(n_bins)
    low, high = float(value_range[0]), float(value_range[1])
    if not high > low:
        raise ValueError(f"value_range must have low < high, got {value_range!r}.")
    return _histogram_of_values(image[mask], n_bins, (low, high))


#: The (p, q) orders returned by ``central_moments``: p along x, q along y.
MOMENT_ORDERS = ((2, 0), (0, 2), (3, 0), (0, 3))


def central_moments(image, mask, orders=MOMENT_ORDERS):
    r"""Normalised central image moments of the particle, the image as weights.

    With weights :math:`w` (the image values inside the mask), :math:`x` the
    column and :math:`y` the row coordinate, and :math:`(\bar x, \bar y)`
    the weighted centroid, the central moment is
    :math:`\mu_{pq} = \sum w\,(x-\bar x)^p (y-\bar y)^q`. It is returned
    normalised as

    .. math:: \eta_{pq} = \frac{\mu_{pq}}{\mu_{00}\, A^{(p+q)/2}}

    where :math:`\mu_{00} = \sum w` and :math:`A` is the mask's area in
    pixels. This makes the moments dimensionless, independent of the
    particle's size and of the image's intensity scale; for uniform weights
    it is Hu's normalisation :math:`\mu_{pq} / \mu_{00}^{1+(p+q)/2}`.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Non-negative weights, finite inside the mask. Pass ``mask`` itself
        for the moments of the shape alone.
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.
    orders : sequence of (int, int), default=((2, 0), (0, 2), (3, 0), (0, 3))
        The (p, q) pairs to return; the default is the thesis's
        mu20, mu02, mu30, mu03.

    Returns
    -------
    moments : ndarray of shape (len(orders),)
        The normalised moments. A uniform disk gives 1 / (4 pi) = 0.0796
        for mu20 and mu02 and 0 for mu30 and mu03; an ellipse with
        semi-axes ``a`` along x and ``b`` along y gives mu20 = a / (4 pi b).
        Where the weights inside the mask sum to zero, uniform weights are
        used instead, i.e. the moments of the mask.

    Raises
    ------
    ValueError
        On an empty mask, NaN or negative weights inside the mask, or
        shapes that differ.

    See Also
    --------
    skimage.measure.moments_central, skimage.measure.moments_normalized

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import central_moments
    >>> yy, xx = np.mgrid[-50:51, -50:51]
    >>> disk = xx**2 + yy**2 <= 40**2
    >>> central_moments(disk, disk).round(4)
    array([0.0796, 0.0796, 0.    , 0.    ])
    """
    image, mask = _check_image_and_mask(image, mask)
    weights = image[mask]
    if (weights < 0).any():
        raise ValueError("central_moments needs non-negative weights (image values).")
    return _moments_of(weights, ParticleGeometry(mask), orders)


def _moments_of(weights, geometry, orders=MOMENT_ORDERS):
    total = weights.sum()
    if not total > 0:
        weights = np.ones_like(weights)
        total = float(weights.size)
    # x depends on the column only and y on the row only, so
    # sum(w x^p y^q) = y^q @ W @ x^p with W the weights laid out in the
    # particle's box: the powers are taken of the box's coordinates (about
    # a hundred) instead of each pixel's (thousands), which saves time on
    # large particles. Only the summation order differs from the sum over
    # pixels.
    height, width = geometry.padded.shape
    image = np.zeros(height * width)
    image[geometry.flat_index] = weights
    image = image.reshape(height, width)
    column_sums = image.sum(axis=0)
    row_sums = image.sum(axis=1)
    x = np.arange(width) - (column_sums @ np.arange(width)) / total
    y = np.arange(height) - (row_sums @ np.arange(height)) / total
    # Row sums of W x^p, one per order p along x.
    weighted_rows = {0: row_sums}
    moments = np.empty(len(orders))
    for i, (p, q) in enumerate(orders):
        if p not in weighted_rows:
            weighted_rows[p] = image @ x**p
        normalisation = total * weights.size ** ((p + q) / 2)
        moments[i] = (y**q @ weighted_rows[p]) / normalisation
    return moments


def internal_variance(image, mask):
    """Variance of the intensities inside the mask ("internal segmentation variance").

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Intensities, finite inside the mask.
    mask : ndarray of shape (height, width), dtype bool
        ``True`` on the particle.

    Returns
    -------
    variance : float
        Population variance (``ddof=0``) in squared image units; 0 for a
        constant image or a one-pixel mask.

    Raises
    ------
    ValueError
        On an empty mask, NaN pixels inside the mask or shapes that differ.

    See Also
    --------
    signal_to_noise : how that variance splits across and along the membrane.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.features import internal_variance
    >>> image = np.array([[0.0, 1.0], [0.0, 1.0]])
    >>> internal_variance(image, np.ones((2, 2), bool))
    0.25
    """
    image, mask = _check_image_and_mask(image, mask)
    return float(_variance_of(image[mask]))


def _variance_of(values):
    if values.max() == values.min():
        # np.var of a constant float array can be 1e-34 instead of 0.
        return 0.0
    return _population_variance(values, _mean(values))


def _mean(values):
    """``np.mean`` of a 1-D float64 array, bit for bit, without its overhead."""
    return np.add.reduce(values) / values.size


def _population_variance(values, mean):
    """``np.var(values)`` given ``_mean(values)``: numpy's own steps, bit for bit."""
    deviations = values - mean
    np.multiply(deviations, deviations, out=deviations)
    return np.add.reduce(deviations) / values.size
