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


def _resize_matrix(length, size, start=0.0, extent=None):
    """``(size, length)`` matrix resampling a line of ``length`` pixels.

    The output spans ``[start, start + extent)`` of the line (pixel ``j``
    covering ``[j, j + 1)``; by default the whole line). Shrinking averages
    the input pixels each output pixel covers (area weights: no aliasing);
    enlarging interpolates linearly. Rows sum to 1 when the span lies inside
    the line.
    """
    extent = length if extent is None else extent
    offset = np.float32(start)
    source = np.arange(length, dtype=np.float32)[None, :]
    step = np.float32(extent / size)
    if extent >= size:
        begin = offset + np.arange(size, dtype=np.float32)[:, None] * step
        covered = np.minimum(begin + step, source + 1) - np.maximum(begin, source)
        return np.clip(covered, 0, None) / step
    centre = offset + (np.arange(size, dtype=np.float32)[:, None] + 0.5) * step - 0.5
    centre = np.clip(centre, 0, length - 1)
    return np.clip(1 - np.abs(centre - source), 0, None)


def _resize(image, size):
    """``image`` resampled to ``size x size`` by two small matrix products."""
    rows = _resize_matrix(image.shape[0], size)
    cols = _resize_matrix(image.shape[1], size)
    return rows @ image @ cols.T


#: Largest canvas, in multiples of the particle region's side.
_MAX_CANVAS_EXTENT = 32


def _padded_window(array, extent, fill):
    """The part of ``array`` under a centred square window, padded outside it.

    Parameters
    ----------
    array : ndarray of shape (height, width)
    extent : float
        Side of the window, centred on the array, in pixels of ``array``.
    fill : float or None
        Padding value; ``None`` mirrors the array at its edges
        (``numpy.pad(mode="symmetric")``, repeated as often as needed).

    Returns
    -------
    window : ndarray
        The whole pixels the window touches.
    starts : (float, float)
        Where the window begins inside ``window`` (pixel ``j`` spans
        ``[j, j + 1)``).
    """
    slices, pads, starts = [], [], []
    for length in array.shape:
        begin = (length - extent) / 2
        first, last = int(np.floor(begin)), int(np.ceil(begin + extent))
        before, after = max(0, -first), max(0, last - length)
        pads.append((before, after))
        slices.append(slice(first + before, last + before))
        starts.append(begin - first)
    if fill is None:
        padded = np.pad(array, pads, mode="symmetric")
    else:
        padded = np.pad(array, pads, mode="constant", constant_values=fill)
    return padded[tuple(slices)], tuple(starts)


def _on_canvas(region, size, extent, fill):
    """``region`` resampled so that ``extent`` of its pixels span ``size``."""
    window, (row_start, col_start) = _padded_window(region, extent, fill)
    rows = _resize_matrix(window.shape[0], size, row_start, extent)
    cols = _resize_matrix(window.shape[1], size, col_start, extent)
    return rows @ window @ cols.T


def prepare_image(
    image,
    mask,
    mode,
    size,
    *,
    keep_aspect=True,
    normalize=True,
    pixel_size_nm=None,
    canvas_nm=None,
):
    """One particle as a ``size x size`` float32 image in the given mode.

    By default the region fills the output (the thesis's set-up, which
    loses the particle's size). Given ``canvas_nm``, the output is instead a
    canvas ``canvas_nm`` nanometres wide at ``canvas_nm / size`` nm per
    pixel, centred on the region, so that particles keep their physical
    size: a particle larger than the canvas is cut at its edges; where the
    canvas reaches past the region, the region's content continues as its
    mirror image (``"surrounding"``, ``"cropped"``) or the neutral value
    continues (``"masked"``, where everything outside the particle is
    neutral), never a padding constant of its own.

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
        A fixed-scale canvas (``canvas_nm``) always keeps the aspect.
    normalize : bool, default=True
        Scale intensities to zero mean and unit standard deviation over the
        region (over the particle in ``"masked"`` mode); the neutral value
        is then 0.
    pixel_size_nm : float or None, default=None
        Nanometres per pixel of ``image``; needed with ``canvas_nm``.
    canvas_nm : float or None, default=None
        Side of the output in nanometres: a fixed scale of
        ``canvas_nm / size`` nm per pixel. ``None`` resizes the region to
        fill the output.

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

    At a fixed scale (here 2 nm per output pixel), a disc twice as wide
    covers twice as many pixels:

    >>> def disc_width(radius):
    ...     disc = np.hypot(rows - 29.5, cols - 39.5) < radius
    ...     out = prepare_image(np.where(disc, 0.0, 1.0), None, "surrounding", 20,
    ...                         normalize=False, pixel_size_nm=1.0, canvas_nm=40.0)
    ...     return round(float((1 - out[10]).sum()))  # dark pixels, centre row
    >>> disc_width(5), disc_width(10)
    (5, 10)
    """
    # Normalised in float64: in float32, values near 1e17 lose every detail
    # below 1e10 and the square in the standard deviation overflows from
    # 2e19 on, which turned such images into zeros.
    image = np.asarray(image, dtype=np.float64)
    if canvas_nm is not None:
        return _fixed_scale_image(
            image, mask, mode, size, pixel_size_nm, canvas_nm, normalize
        )
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


def _fixed_scale_image(image, mask, mode, size, pixel_size_nm, canvas_nm, normalize):
    """:func:`prepare_image` with ``canvas_nm``: a fixed-scale, centred canvas."""
    if pixel_size_nm is None or not pixel_size_nm > 0:
        raise ValueError(
            f"A fixed-scale canvas needs the image's pixel size in nanometres; "
            f"got pixel_size_nm={pixel_size_nm!r}."
        )
    if mode == "surrounding":
        region = image.copy()
        kept = np.ones(image.shape, dtype=bool)
    else:
        # The particle's bounding box, not grown: the canvas centres it.
        box = _bounding_box(mask, square=False)
        region = _crop(image, box, 0.0)
        kept = _crop(mask, box, False) if mode == "masked" else None
        kept = np.ones(region.shape, dtype=bool) if kept is None else kept
    reference = region[kept]
    if normalize:
        scale = reference.std()
        region -= reference.mean()
        if scale > 0:
            region /= scale
        neutral = 0.0
    else:
        neutral = float(reference.mean())
    fill = None
    if mode == "masked":
        region[~kept] = neutral
        fill = neutral
    extent = canvas_nm / pixel_size_nm
    if not extent <= _MAX_CANVAS_EXTENT * max(region.shape):
        # The window is padded before it is resampled: a canvas far larger
        # than the particle would take all memory, and is a wrong setting.
        raise ValueError(
            f"The canvas of {canvas_nm:g} nm spans {extent:.3g} pixels of a "
            f"{region.shape[0]} x {region.shape[1]} px region at {pixel_size_nm:g} "
            f"nm per pixel, more than {_MAX_CANVAS_EXTENT} times its side; check "
            "canvas_nm and the pixel sizes."
        )
    canvas = _on_canvas(region, size, extent, fill)
    return canvas.astype(np.float32, copy=False)
