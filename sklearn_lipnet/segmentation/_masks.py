"""A mask for every particle of a table: the expert's, or segmented."""

import warnings

from joblib import Parallel, delayed

from ..utils import as_particle_table, describe_rows
from ..utils._parallel import chunk_bounds
from ._particle import MIN_SIDE, _segment
from ._quality import _segment_and_check

__all__ = ["checked_masks", "particle_masks"]


def particle_masks(table, n_jobs=None):
    """A mask for every particle: the expert's where given, else segmented.

    Parameters
    ----------
    table : pandas.DataFrame or sequence of 2-D arrays
        Particle table (see :func:`~sklearn_lipnet.utils.as_particle_table`).
        Rows whose ``mask`` is missing, or all rows if there is no ``mask``
        column, are segmented with
        :func:`~sklearn_lipnet.segmentation.segment_particle`.
    n_jobs : int, default=None
        Parallel jobs for the segmentation (joblib semantics: ``None`` is 1
        unless in a ``joblib.parallel_config`` context, -1 all cores). A few
        dozen images are segmented in the calling process whatever
        ``n_jobs``, as worker processes would cost more than they save.

    Returns
    -------
    masks : list of ndarray of bool
        One mask per row, each of its image's shape and never empty. A
        ``UserWarning`` lists the particles in which the segmentation found
        no closed outline (their masks are a best guess).

    See Also
    --------
    sklearn_lipnet.segmentation.segment_particle : The automatic segmentation.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_lipnet.segmentation import particle_masks
    >>> rows, cols = np.mgrid[:100, :100] - 49.5
    >>> ring = 100.0 - 40 * (np.abs(np.hypot(rows, cols) - 25) < 1.5)
    >>> expert = np.hypot(rows, cols) < 10
    >>> masks = particle_masks(pd.DataFrame({"image": [ring, ring],
    ...                                      "mask": [expert, None]}))
    >>> int(masks[0].sum())  # the expert's mask
    316
    >>> truth = np.hypot(rows, cols) <= 26.5  # outer edge of the ring
    >>> bool((masks[1] & truth).sum() / (masks[1] | truth).sum() > 0.9)
    True
    """
    table, masks, missing, segmented = _segment_missing_rows(table, _segment, n_jobs)
    not_found = []
    for position, (mask, found) in zip(missing, segmented):
        masks[position] = mask
        if not found:
            not_found.append(position)
    _warn_not_found(table, not_found, len(missing), stacklevel=3)
    return masks


def checked_masks(table, n_jobs=None):
    """A mask for every particle and whether it can be trusted.

    Expert masks (the table's ``mask`` column) are always trusted; the
    other particles are segmented with
    :func:`~sklearn_lipnet.segmentation.segment_particle` and checked with
    :func:`~sklearn_lipnet.segmentation.segmentation_quality`.

    Parameters
    ----------
    table : pandas.DataFrame or sequence of 2-D arrays
        Particle table.
    n_jobs : int, default=None
        Parallel jobs for the segmentation, as for :func:`particle_masks`.

    Returns
    -------
    masks : list of ndarray of bool
        One per row, never empty.
    qualities : list of SegmentationQuality or None
        ``None`` for expert masks.

    Raises
    ------
    ValueError
        Naming the particles without a mask that are too small to segment.

    See Also
    --------
    particle_masks : The masks alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.segmentation import checked_masks
    >>> rows, cols = np.mgrid[:80, :80] - 39.5
    >>> ring = 100.0 - 40 * (np.abs(np.hypot(rows, cols) - 25) < 1.5)
    >>> masks, qualities = checked_masks([ring, np.full((80, 80), 100.0)])
    >>> [quality.trusted for quality in qualities]
    [True, False]
    """
    table, masks, missing, checked = _segment_missing_rows(
        table, _segment_and_check, n_jobs
    )
    qualities = [None] * len(masks)
    for position, (mask, quality) in zip(missing, checked):
        masks[position] = mask
        qualities[position] = quality
    return masks, qualities


def _segment_missing_rows(table, segment, n_jobs):
    """``segment(image)`` for each row without a mask, in parallel chunks.

    Returns the table (as a particle table), its masks (``None`` where
    missing), the positions of the missing ones and their results, in order.
    """
    table = as_particle_table(table)
    images = table["image"].tolist()
    masks = table["mask"].tolist() if "mask" in table.columns else [None] * len(images)
    missing = [position for position, mask in enumerate(masks) if mask is None]
    _check_segmentable(table, images, missing)
    to_segment = [images[position] for position in missing]
    n_workers, bounds = chunk_bounds(len(missing), n_jobs)
    if n_workers == 1:
        return table, masks, missing, _apply_to_each(segment, to_segment)
    chunks = Parallel(n_jobs=n_workers)(
        delayed(_apply_to_each)(segment, to_segment[start:stop])
        for start, stop in bounds
    )
    return table, masks, missing, [result for chunk in chunks for result in chunk]


def _apply_to_each(function, images):
    return [function(image) for image in images]


def _check_segmentable(table, images, missing):
    """Refuse, naming them, mask-less particles too small to segment."""
    too_small = [
        position for position in missing if min(images[position].shape) < MIN_SIDE
    ]
    if too_small:
        raise ValueError(
            f"Automatic segmentation needs images of at least {MIN_SIDE} x "
            f"{MIN_SIDE} pixels; {len(too_small)} particle(s) without a mask are "
            f"smaller: {describe_rows(table, too_small)}. Give them masks or leave "
            "them out."
        )


def _segment_missing(images, masks, *, check=False):
    """Segment the images whose mask is None, in place in ``masks``.

    Returns the positions where no closed outline was found and, per
    position, the check of the automatic mask (``None`` for the masks given,
    and for all of them without ``check``).
    """
    not_found = []
    qualities = [None] * len(images)
    for position, (image, mask) in enumerate(zip(images, masks)):
        if mask is not None:
            continue
        if check:
            # The check reuses the segmentation's band-pass, the costliest
            # step of both.
            masks[position], qualities[position] = _segment_and_check(image)
            found = qualities[position].closed
        else:
            masks[position], found = _segment(image)
        if not found:
            not_found.append(position)
    return not_found, qualities


def _warn_not_found(table, not_found, n_segmented, stacklevel):
    """Warn, naming the rows, where the segmentation found no closed outline."""
    if not_found:
        warnings.warn(
            f"Automatic segmentation found no closed particle outline in "
            f"{len(not_found)} of {n_segmented} images "
            f"({describe_rows(table, not_found)}); their masks are a best guess.",
            UserWarning,
            stacklevel=stacklevel,
        )
