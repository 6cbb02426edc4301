"""One particle cut out in an input mode, normalised and resized.

The thesis feeds its networks the whole cut-out, the particle's bounding box,
or the bounding box with everything outside the particle blanked (section
8.5); :func:`prepare_image` makes each of them from one image and mask.
"""

import numpy as np

__all__ = ["prepare_image"]


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
    >>> from sklearn_lipnet.preprocessing import prepare_image
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
    # Normalised in float64: in float32, values near 1e17 lose every detail
    # below 1e10 and the square in the standard deviation overflows from
    # 2e19 on, which turned such images into zeros.
    image = np.asarray(image, dtype=np.float64)
    if mode == "surrounding":
        mask = np.ones(image.shape, dtype=bool)
    box = _bounding_box(mask, square=keep_aspect)
    inside = _crop(mask, box, False) if mode == "masked" else None
    valid = _crop(np.ones(image.shape, dtype=bool), box, False)
    kept = valid if inside is None else inside
    region = _crop(image, box, 0.0)
    reference = region[kept]
    if normalize:
        mean = reference.mean()
        # Scaled by the largest value first, so that the squares of the
        # standard deviation stay finite up to float64's largest numbers.
        peak = np.abs(reference - mean).max()
        scale = peak * ((reference - mean) / peak).std() if peak > 0 else 0.0
        region -= mean
        if scale > 0:
            region /= scale
        neutral = 0.0
    else:
        neutral = reference.mean()
    region[~kept] = neutral
    return _resize(region.astype(np.float32), size)
