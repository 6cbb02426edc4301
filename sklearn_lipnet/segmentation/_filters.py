"""Image operations behind the automatic segmentation, made cheap.

The band-pass that makes membranes stand out, the sampling of an image
along rays from a centre, and the order statistics both need. Each equals
the obvious scipy/numpy call to within float32 rounding (or bit for bit,
where said) at a fraction of its cost: the segmentation runs once per
particle without a mask, and this is most of its time.
"""

import numpy as np
from scipy import ndimage as ndi


def membrane_darkness(image, sigma):
    """Band-pass of the image, positive on thin dark lines, in noise units.

    The difference of two Gaussians removes the slowly varying background
    (ice thickness) and keeps structures about ``sigma`` to ``4 * sigma``
    pixels wide. The unit is the noise level, estimated robustly on the
    image border (in a cut-out mostly surrounding), but at least 5 % of the
    strongest structure's darkness.

    The wide Gaussian is computed at half resolution from the narrow one
    (``G(4 sigma) = G(sqrt(15) sigma) * G(sigma)``; after the narrow blur
    the image holds no detail that every second pixel would alias) and
    enlarged linearly: a smooth background, off by a small fraction of
    the noise, for a fraction of the cost of blurring the full image.
    """
    fine = ndi.gaussian_filter(image, sigma)
    wide = ndi.gaussian_filter(fine[::2, ::2], np.sqrt(15.0) * sigma / 2)
    dog = _enlarge_twice(wide, image.shape)
    dog -= fine
    height, width = image.shape
    band = max(3, min(height, width) // 10)
    border = np.concatenate(
        [
            dog[:band].ravel(),
            dog[-band:].ravel(),
            dog[band:-band, :band].ravel(),
            dog[band:-band, -band:].ravel(),
        ]
    )
    median = median_of(border)
    spread = 1.4826 * median_of(np.abs(border - median))
    dog -= median
    # Nearly noiseless images: measure darkness against the strongest
    # structure instead, or a faint membrane would drown beside dense content.
    # The percentile is at most the largest magnitude, so where even that is
    # within 20 noise units (a noisy cut-out) the noise unit stands and the
    # partial sort for the percentile is skipped.
    if not 0.05 * max(dog.max(), -dog.min()) <= spread:
        spread = max(spread, 0.05 * percentile_of(np.abs(dog).ravel(), 99.9))
    if not spread > 0:  # a blank image
        spread = 1.0
    dog /= spread
    return dog


def _enlarge_twice(half, shape):
    """``half`` (every second pixel of an image of ``shape``) back at ``shape``.

    Linear interpolation: pixel ``2k`` is ``half[k]``, pixel ``2k + 1`` the
    mean of ``half[k]`` and ``half[k + 1]`` (``half[k]`` past the end).
    """
    return _enlarge_axis(_enlarge_axis(half, shape[0], 0), shape[1], 1)


def _enlarge_axis(half, size, axis):
    half = np.moveaxis(half, axis, 0)
    out = np.empty((size, *half.shape[1:]), dtype=half.dtype)
    out[0::2] = half[: (size + 1) // 2]
    odd = out[1::2]
    between = min(len(odd), len(half) - 1)
    np.add(half[:between], half[1 : between + 1], out=odd[:between])
    odd[:between] *= 0.5
    odd[between:] = half[-1]
    return np.moveaxis(out, 0, axis)


def along_rays(image, origin, angles, distances, cval=np.nan):
    """``image`` at ``distances`` (pixels) from ``origin`` along each ray.

    ``ndi.map_coordinates(image, ..., order=1, mode="constant", cval=cval)``
    at the points ``origin + distance * (sin(angle), cos(angle))``: bilinear
    interpolation, ``cval`` at points outside ``[0, height - 1] x [0, width
    - 1]``. Equal to scipy's result to within float32 rounding, and cheaper:
    four gathers instead of scipy's general spline code.

    Parameters
    ----------
    image : ndarray of shape (height, width), at least 2 x 2
    origin : tuple of float
        Row and column of the rays' common start.
    angles : ndarray of shape (n_rays,)
        Directions, from the column axis towards the row axis.
    distances : ndarray of shape (n_samples,) or (n_rays, n_samples)
        Distances along the rays, the same for every ray or one row each.
    cval : float, default=nan
        Value outside the image.

    Returns
    -------
    samples : ndarray of shape (n_rays, n_samples)
        In ``image``'s floating dtype (float64 for integer images).
    """
    distances = np.asarray(distances)
    if distances.ndim == 1:
        distances = distances[None, :]
    rows = origin[0] + np.sin(angles)[:, None] * distances
    cols = origin[1] + np.cos(angles)[:, None] * distances
    height, width = image.shape
    inside = (rows >= 0) & (rows <= height - 1) & (cols >= 0) & (cols <= width - 1)
    np.clip(rows, 0, height - 1, out=rows)
    np.clip(cols, 0, width - 1, out=cols)
    # The last row and column are reached as the far end of a cell.
    top = np.minimum(rows.astype(np.intp), height - 2)
    left = np.minimum(cols.astype(np.intp), width - 2)
    dtype = image.dtype if image.dtype.kind == "f" else np.float64
    row_weight = (rows - top).astype(dtype)
    col_weight = (cols - left).astype(dtype)
    flat = image.ravel().astype(dtype, copy=False)
    corner = top * width + left
    # The other three corners through shifted views of the image: the same
    # pixels as flat[corner + 1] and so on, without three index arrays.
    upper = flat[corner]
    upper += (flat[1:][corner] - upper) * col_weight
    lower = flat[width:][corner]
    lower += (flat[width + 1 :][corner] - lower) * col_weight
    upper += (lower - upper) * row_weight
    upper[~inside] = cval
    return upper


def median_of(values):
    """``np.median`` of a 1-D array, bit for bit, several times faster.

    numpy partitions around both middle elements (and the last, to look for
    NaN) at once, which is slow; one partition and a maximum find the same
    elements, and the same ``np.mean`` of them gives the same value.
    """
    middle = values.size // 2
    part = np.partition(values, middle)
    if values.size % 2:
        return np.mean(part[middle : middle + 1])
    return np.mean(np.array([part[:middle].max(), part[middle]], dtype=part.dtype))


def percentile_of(values, q):
    """``np.percentile(values, q)`` of a 1-D float32 array, bit for bit.

    The same virtual index, neighbours and interpolation (numpy's "linear"
    method, ``q`` a Python float) as numpy, with the neighbours found by one
    partition and a minimum instead of numpy's slower partition around
    several elements. Other dtypes go to numpy.
    """
    if values.dtype != np.float32 or not isinstance(q, float):
        return np.percentile(values, q)
    n = values.size
    quantile = np.true_divide(q, 100)
    virtual = n * quantile + (1 + quantile * (1 - 1 - 1)) - 1
    if virtual >= n - 1:
        return values.max()
    if virtual < 0:
        return values.min()
    below = int(np.floor(virtual))
    part = np.partition(values, below)
    previous, following = part[below], part[below + 1 :].min()
    gamma = float(virtual - below)
    difference = following - previous
    if gamma >= 0.5:
        return following - difference * (1 - gamma)
    return previous + difference * gamma
