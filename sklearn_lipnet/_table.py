"""The particle table: validation, and masks for every particle."""

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from ._segmentation import _segment

# How many offending rows a message names before it only counts them.
_NAMED_ROWS = 10


def row_label(table, position):
    """Name of the particle at ``position`` for messages: id, path or index.

    Parameters
    ----------
    table : pandas.DataFrame
        A particle table.
    position : int
        Row position (not index label).

    Returns
    -------
    label : str
        ``"particle 'id'"``, ``"particle 'path'"`` or ``"particle at index i"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet._table import row_label
    >>> row_label(pd.DataFrame({"image": [0], "id": ["p7"]}), 0)
    "particle 'p7'"
    >>> row_label(pd.DataFrame({"image": [0]}, index=[12]), 0)
    'particle at index 12'
    """
    for column in ("id", "path"):
        if column in table.columns:
            value = table[column].iloc[position]
            if not is_missing(value):
                return f"particle {str(value)!r}"
    index = table.index[position]
    return f"particle at index {index.item() if hasattr(index, 'item') else index!r}"


def is_missing(value):
    """Whether a cell is absent: None or a scalar NaN (what pandas puts there)."""
    if value is None:
        return True
    try:
        return bool(np.ndim(value) == 0 and pd.isna(value))
    except (TypeError, ValueError):
        return False


def _check_image(image):
    try:
        array = np.asarray(image)
    except ValueError as exc:  # ragged nested lists and the like
        raise ValueError(f"image is not an array ({exc}).") from None
    if array.ndim != 2:
        hint = (
            " Colour images must be converted to grayscale first"
            " (load_particles does this)."
            if array.ndim == 3 and array.shape[-1] in (1, 3, 4)
            else ""
        )
        raise ValueError(f"image must be a 2-D array, got shape {array.shape}.{hint}")
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"image must be numeric (integer or float), got dtype {array.dtype}."
        )
    if array.size == 0:
        raise ValueError(f"image is empty, shape {array.shape}.")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError("image contains NaN or infinite pixels.")
    return array


def _check_mask(mask, image):
    if is_missing(mask):
        return None
    array = np.asarray(mask)
    if array.dtype != bool:
        raise ValueError(
            f"mask must be a boolean array, got dtype {array.dtype} "
            f"(convert with mask > 0)."
        )
    if array.shape != image.shape:
        raise ValueError(
            f"mask shape {array.shape} differs from image shape {image.shape}."
        )
    if not array.any():
        raise ValueError("mask is empty (no pixel is set).")
    return array


def _as_frame(X):
    if isinstance(X, pd.DataFrame):
        if "image" not in X.columns:
            raise ValueError(
                "A particle table needs an 'image' column; the columns are "
                f"{list(map(str, X.columns))}."
            )
        return X
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(
            "Expected a particle table (a DataFrame with an 'image' column), a "
            f"sequence of 2-D images or a 3-D array; got {type(X).__name__}."
        )
    if isinstance(X, np.ndarray) and X.ndim != 3 and X.dtype != object:
        raise ValueError(
            f"Expected a 3-D array of images (n_images, height, width), got an "
            f"array of shape {X.shape}. Pass a list for images of different "
            f"sizes, or a particle table."
        )
    return pd.DataFrame({"image": list(X)})


def as_particle_table(X):
    """Validate a particle table, or build one from a sequence of images.

    Parameters
    ----------
    X : pandas.DataFrame, sequence of 2-D arrays or ndarray of shape (n, h, w)
        A particle table has an ``image`` column (2-D numeric arrays, sizes
        may differ) and optionally ``mask`` (2-D bool arrays of the image's
        shape; a missing value means no expert mask for that particle),
        ``pixel_size_nm``, ``id``, ``path`` and any other columns.

    Returns
    -------
    table : pandas.DataFrame
        A new frame (the input is never modified) with the same index and
        columns, ``image`` and ``mask`` holding ndarrays and missing masks
        as ``None``. Built from images, it has the single column ``image``.

    Raises
    ------
    ValueError
        Naming the first offending particle (by ``id``, else ``path``, else
        index) and the problem: an image that is not 2-D, not numeric,
        empty or has NaN/inf pixels; a mask that is not boolean, has another
        shape than its image or is empty; a pixel size that is not positive.

    See Also
    --------
    particle_masks : A mask for every particle.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet._table import as_particle_table
    >>> table = as_particle_table(np.zeros((3, 32, 32)))
    >>> list(table.columns), len(table)
    (['image'], 3)
    >>> as_particle_table([np.zeros((4, 4)), np.full((4, 4), np.nan)])
    Traceback (most recent call last):
    ...
    ValueError: particle at index 1: image contains NaN or infinite pixels.
    """
    frame = _as_frame(X)
    if len(frame) == 0:
        raise ValueError("The particle table is empty: there are no particles.")
    has_masks = "mask" in frame.columns
    given_masks = frame["mask"].tolist() if has_masks else [None] * len(frame)
    images, masks = [], []
    for position, (image, mask) in enumerate(zip(frame["image"], given_masks)):
        try:
            images.append(_check_image(image))
            masks.append(_check_mask(mask, images[-1]))
        except ValueError as exc:
            raise ValueError(f"{row_label(frame, position)}: {exc}") from None
    if "pixel_size_nm" in frame.columns:
        _check_pixel_size(frame)
    table = frame.copy(deep=False)
    table["image"] = pd.Series(images, index=frame.index, dtype=object)
    if has_masks:
        table["mask"] = pd.Series(masks, index=frame.index, dtype=object)
    return table


def _check_pixel_size(frame):
    sizes = pd.to_numeric(frame["pixel_size_nm"], errors="coerce")
    bad = ~(sizes > 0) & ~(frame["pixel_size_nm"].isna())
    bad |= np.isinf(sizes)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame["pixel_size_nm"].iloc[position]
        raise ValueError(
            f"{row_label(frame, position)}: pixel_size_nm must be a positive "
            f"number of nanometres, got {value!r}."
        )


def particle_masks(table, n_jobs=None):
    """A mask for every particle: the expert's where given, else segmented.

    Parameters
    ----------
    table : pandas.DataFrame or sequence of 2-D arrays
        Particle table (see :func:`as_particle_table`). Rows whose ``mask``
        is missing, or all rows if there is no ``mask`` column, are segmented
        with :func:`~sklearn_lipnet._segmentation.segment_particle`.
    n_jobs : int, default=None
        Parallel jobs for the segmentation (joblib semantics: ``None`` is 1
        unless in a ``joblib.parallel_config`` context, -1 all cores).

    Returns
    -------
    masks : list of ndarray of bool
        One mask per row, each of its image's shape and never empty. A
        ``UserWarning`` lists the particles in which the segmentation found
        no closed outline (their masks are a best guess).

    See Also
    --------
    sklearn_lipnet._segmentation.segment_particle : The automatic segmentation.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_lipnet._table import particle_masks
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
    table = as_particle_table(table)
    images = table["image"].tolist()
    masks = table["mask"].tolist() if "mask" in table.columns else [None] * len(images)
    missing = [position for position, mask in enumerate(masks) if mask is None]
    segmented = Parallel(n_jobs=n_jobs)(
        delayed(_segment)(images[position]) for position in missing
    )
    not_found = []
    for position, (mask, found) in zip(missing, segmented):
        masks[position] = mask
        if not found:
            not_found.append(row_label(table, position))
    if not_found:
        named = ", ".join(not_found[:_NAMED_ROWS])
        more = len(not_found) - _NAMED_ROWS
        warnings.warn(
            f"Automatic segmentation found no closed particle outline in "
            f"{len(not_found)} of {len(missing)} images ({named}"
            f"{f' and {more} more' if more > 0 else ''}); their masks are a "
            "best guess.",
            UserWarning,
            stacklevel=2,
        )
    return masks
