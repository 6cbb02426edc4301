"""The mask-derived arrays that several particle features share.

Computing all features of a particle from one :class:`ParticleGeometry`
crops the mask once and runs the (comparatively costly) distance transform
at most once, instead of once per feature.
"""

from functools import cached_property

import numpy as np
from scipy import ndimage as ndi


class ParticleGeometry:
    """Cropped mask, pixel coordinates and depths of one particle.

    Parameters
    ----------
    mask : ndarray of shape (height, width), dtype bool
        A non-empty mask, as returned by
        :func:`~sklearn_lipnet.utils.check_mask`.

    Attributes
    ----------
    padded : ndarray of bool
        The mask cropped to its bounding box with one background pixel on
        every side, so the image border counts as outline and later work is
        proportional to the particle, not the image.
    rows, cols : ndarray of int
        Coordinates of the particle pixels in ``padded``, in row-major
        order (the order of ``image[mask]``).
    image_rows, image_cols : ndarray of int
        The same pixels in the coordinates of the full image.
    touches_border : bool
        Whether the particle reaches the edge of the image, i.e. may be cut.
    """

    def __init__(self, mask):
        rows_hit = np.flatnonzero(mask.any(axis=1))
        cols_hit = np.flatnonzero(mask.any(axis=0))
        top, bottom = rows_hit[0], rows_hit[-1] + 1
        left, right = cols_hit[0], cols_hit[-1] + 1
        self.padded = np.pad(mask[top:bottom, left:right], 1)
        self.rows, self.cols = np.nonzero(self.padded)
        self.image_rows = self.rows + (top - 1)
        self.image_cols = self.cols + (left - 1)
        self.touches_border = bool(
            top == 0 or left == 0 or bottom == mask.shape[0] or right == mask.shape[1]
        )

    @property
    def area(self):
        """Number of particle pixels."""
        return self.rows.size

    @cached_property
    def depths(self):
        """Distance of each particle pixel's centre from the outline, in pixels.

        Euclidean distance transform minus half a pixel, so the outermost
        pixels are half a pixel deep and the outline itself is at 0.
        """
        distance = ndi.distance_transform_edt(self.padded)
        return distance[self.rows, self.cols] - 0.5
