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
    box : tuple of slice
        The bounding box in the image: ``image[box][cropped]`` are the
        particle's pixels in row-major order (the order of ``image[mask]``).
    cropped : ndarray of bool
        ``padded`` without its padding: the mask inside ``box``.
    rows, cols : ndarray of int
        Coordinates of the particle pixels in ``padded``, in row-major
        order (the order of ``image[mask]``).
    flat_index : ndarray of int
        The same pixels as indices into ``padded.ravel()``.
    image_rows, image_cols : ndarray of int
        The same pixels in the coordinates of the full image.
    touches_border : bool
        Whether the particle reaches the edge of the image, i.e. may be cut.
    """

    def __init__(self, mask):
        rows_hit = np.flatnonzero(mask.any(axis=1))
        top, bottom = rows_hit[0], rows_hit[-1] + 1
        # Only the rows that hold the particle need scanning for columns.
        cols_hit = np.flatnonzero(mask[top:bottom].any(axis=0))
        left, right = cols_hit[0], cols_hit[-1] + 1
        self.box = (slice(top, bottom), slice(left, right))
        self.padded = np.zeros((bottom - top + 2, right - left + 2), dtype=bool)
        self.padded[1:-1, 1:-1] = mask[self.box]
        self.cropped = self.padded[1:-1, 1:-1]
        # Flat indices, then rows and columns from them: the same as
        # np.nonzero(padded), at half the cost.
        self.flat_index = np.flatnonzero(self.padded)
        width = self.padded.shape[1]
        self.rows = self.flat_index // width
        self.cols = self.flat_index - self.rows * width
        self._offset = (top - 1, left - 1)
        self.touches_border = bool(
            top == 0 or left == 0 or bottom == mask.shape[0] or right == mask.shape[1]
        )

    @property
    def area(self):
        """Number of particle pixels."""
        return self.rows.size

    @cached_property
    def image_rows(self):
        """Rows of the particle pixels in the full image."""
        return self.rows + self._offset[0]

    @cached_property
    def image_cols(self):
        """Columns of the particle pixels in the full image."""
        return self.cols + self._offset[1]

    def pixels_of(self, image):
        """The particle's pixels of ``image`` (of the mask's shape), row-major.

        Equal to ``image[mask]``, but reads only the bounding box.
        """
        return image[self.box][self.cropped]

    @cached_property
    def depths(self):
        """Distance of each particle pixel's centre from the outline, in pixels.

        Euclidean distance transform minus half a pixel, so the outermost
        pixels are half a pixel deep and the outline itself is at 0.
        """
        # The feature transform (the nearest background pixel of every
        # pixel) is what costs; the distances are then needed at the
        # particle's pixels only. Exact integer offsets give the same float64
        # distances as distance_transform_edt, which computes them so too.
        nearest = ndi.distance_transform_edt(
            self.padded, return_distances=False, return_indices=True
        )
        d_rows = nearest[0].ravel()[self.flat_index] - self.rows
        d_cols = nearest[1].ravel()[self.flat_index] - self.cols
        squared = (d_rows * d_rows + d_cols * d_cols).astype(np.float64)
        return np.sqrt(squared, out=squared) - 0.5
