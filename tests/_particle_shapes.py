"""Digitised shapes with known geometry, shared by the feature tests."""

import numpy as np


def ellipse_mask(a, b, angle=0.0, shape=None, centre_offset=(0.0, 0.0)):
    """Boolean mask of an ellipse with semi-axes ``a`` (along x) and ``b``.

    A pixel is inside when its centre is; ``angle`` rotates the ellipse
    counter-clockwise (radians) and ``centre_offset`` (dy, dx) moves its
    centre off the pixel grid.
    """
    if shape is None:
        side = int(2 * max(a, b) + 21)
        shape = (side, side)
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(float)
    y = rows - (shape[0] - 1) / 2 - centre_offset[0]
    x = cols - (shape[1] - 1) / 2 - centre_offset[1]
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    return (u / a) ** 2 + (v / b) ** 2 <= 1


def disk_mask(radius, side=None):
    """Boolean mask of a disk of ``radius`` pixels centred in a square image."""
    return ellipse_mask(radius, radius, shape=None if side is None else (side, side))


def radius_map(shape):
    """Distance of each pixel centre from the image centre."""
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(float)
    return np.hypot(rows - (shape[0] - 1) / 2, cols - (shape[1] - 1) / 2)
