"""Figures without pyplot's global state, and files written whole."""

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["display_range", "hide_axes", "new_figure", "save_figure", "tile"]


def new_figure(width, height):
    """A ``matplotlib.figure.Figure`` that no pyplot window or state knows."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(figure, path, dpi=110):
    """Write ``figure`` to ``path`` (format from its suffix), whole or not at all.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or Path
        Its folder must exist; a file there is replaced.
    dpi : int, default=110

    Returns
    -------
    path : Path
    """
    path = Path(path)
    suffix = path.suffix.lstrip(".") or "png"
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as file:
            figure.savefig(file, format=suffix, dpi=dpi)
        # mkstemp makes the file private; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def display_range(image):
    """Grey levels for showing ``image``: its 1st and 99th percentiles."""
    low, high = np.percentile(image, [1, 99])
    if not high > low:
        low, high = float(np.min(image)), float(np.max(image)) + 1e-12
    return float(low), float(high)


def hide_axes(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def tile(images, ncols, gap=1):
    """Images of one size laid out in a grid, NaN (blank) between them.

    One image artist instead of one axes per panel: a figure of a layer's
    32 feature maps draws in a fraction of the time.

    Parameters
    ----------
    images : ndarray of shape (n, h, w)
    ncols : int
        Images per row.
    gap : int, default=1
        Blank pixels between neighbours.

    Returns
    -------
    mosaic : ndarray of shape (nrows * (h + gap) - gap, ncols * (w + gap) - gap)
        Image ``k`` at row ``k // ncols``, column ``k % ncols``.
    """
    n, h, w = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    mosaic = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), np.nan)
    for k in range(n):
        row, col = divmod(k, ncols)
        top, left = row * (h + gap), col * (w + gap)
        mosaic[top : top + h, left : left + w] = images[k]
    return mosaic
