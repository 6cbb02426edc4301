"""Is an automatic mask trustworthy? A check for each segmented particle.

On small, noisy or crowded cut-outs the automatic segmentation can miss the
particle; features measured inside such a mask describe noise. The check
combines three signs, each cheap: the segmentation found a closed outline,
a membrane (a thin dark line) runs along the mask's outline, and the mask
is not a speck.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from ._filters import membrane_darkness
from ._particle import _segment_with_darkness, _sigma_for

__all__ = ["SegmentationQuality", "segmentation_quality"]

#: Median band-pass darkness along the outline, in noise units, from which a
#: membrane is taken to run along it. On 400 cut-outs of the hard regime of
#: make_liposomes (benchmarks/results/real_data_segmentation.md), the 79 %
#: of the automatic masks trusted overlap the true particle by a median 0.91
#: (intersection over union; a tenth below 0.75), the others by 0.78 (a
#: tenth below 0.10).
MIN_OUTLINE_CONTRAST = 1.0
#: Smallest trustworthy mask, as a fraction of the cut-out's inscribed disc.
MIN_AREA_FRACTION = 0.05
# Width in pixels of the band inside the outline where the membrane is looked for.
_BAND_WIDTH = 2


@dataclass(frozen=True)
class SegmentationQuality:
    """How far an automatic mask can be trusted.

    Attributes
    ----------
    closed : bool
        Whether the segmentation found a closed outline around the centre
        (otherwise the mask is its best guess).
    outline_contrast : float
        Median darkness of thin dark lines along the mask's outline, in
        units of the image's noise (see :func:`segmentation_quality`).
    area_fraction : float
        The mask's area over the area of the cut-out's inscribed disc.
    """

    closed: bool
    outline_contrast: float
    area_fraction: float

    @property
    def trusted(self):
        """Closed, with a membrane along the outline, and not a speck."""
        return bool(
            self.closed
            and self.outline_contrast >= MIN_OUTLINE_CONTRAST
            and self.area_fraction >= MIN_AREA_FRACTION
        )


def segmentation_quality(image, mask, *, closed=True, sigma=None):
    """Check a particle mask against the image it was drawn on.

    The image is band-passed as :func:`segment_particle` does (a difference
    of Gaussians that keeps structures ``sigma`` to ``4 * sigma`` pixels
    wide, in units of the noise measured on the image's border), so a thin
    dark membrane is strongly positive and flat background near 0. The
    outline contrast is the median of that band-pass over the mask's
    outermost two pixels, where the segmentation puts the membrane. A mask is
    *trusted* when the outline was ``closed``, its contrast is at least
    ``MIN_OUTLINE_CONTRAST`` (1.0) and its area at least
    ``MIN_AREA_FRACTION`` (5 %) of the cut-out's inscribed disc.

    Parameters
    ----------
    image : array-like of shape (height, width)
        Grayscale cut-out, dark particle on a brighter background.
    mask : array-like of bool, same shape as ``image``
        The particle mask to check; must not be empty.
    closed : bool, default=True
        Whether the segmentation that drew the mask found a closed outline.
    sigma : float, default=None
        Width in pixels of the finest structures kept, as in
        :func:`segment_particle` (``None``: ``min(height, width) / 150``
        clipped to [1, 4]).

    Returns
    -------
    quality : SegmentationQuality
        ``quality.trusted`` says whether to use the mask.

    See Also
    --------
    segment_particle : The automatic segmentation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.segmentation import segmentation_quality
    >>> rows, cols = np.mgrid[:80, :80] - 39.5
    >>> radius = np.hypot(rows, cols)
    >>> noise = np.random.default_rng(0).normal(0, 5, radius.shape)
    >>> image = 100.0 - 40 * (np.abs(radius - 25) < 1.5) + noise
    >>> segmentation_quality(image, radius <= 26).trusted
    True
    >>> segmentation_quality(image, radius <= 15).trusted  # inside the membrane
    False
    """
    image = np.asarray(image, dtype=np.float32)
    mask = np.asarray(mask, dtype=bool)
    if image.ndim != 2 or mask.shape != image.shape or min(image.shape) < 8:
        raise ValueError(
            "segmentation_quality needs a 2-D image of at least 8 x 8 pixels and "
            f"a mask of its shape; got {image.shape} and {mask.shape}."
        )
    if not mask.any():
        raise ValueError("segmentation_quality needs a non-empty mask.")
    if sigma is None:
        sigma = _sigma_for(image.shape)
    return _quality_of(mask, closed, membrane_darkness(image, sigma))


def _quality_of(mask, closed, darkness):
    """The check of ``mask`` on the band-pass ``darkness`` of its image."""
    # The segmentation puts the outline on the membrane's outer edge, so the
    # membrane runs through the mask's outermost pixels.
    band = mask & ~ndi.binary_erosion(mask, iterations=_BAND_WIDTH)
    disc_area = np.pi * (min(mask.shape) / 2) ** 2
    return SegmentationQuality(
        closed=bool(closed),
        outline_contrast=float(np.median(darkness[band])),
        area_fraction=float(mask.sum() / disc_area),
    )


def _segment_and_check(image):
    # The check reuses the segmentation's band-pass instead of computing it
    # again.
    mask, closed, darkness = _segment_with_darkness(image)
    return mask, _quality_of(mask, closed, darkness)
