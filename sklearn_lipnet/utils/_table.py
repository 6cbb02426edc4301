"""The particle table: the data contract every step of the package reads."""

import numpy as np
import pandas as pd

from ._validation import check_image, check_mask

__all__ = ["as_particle_table", "describe_rows", "is_missing", "row_label"]

#: How many offending rows a message names before it only counts them.
NAMED_ROWS = 10


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
    >>> from sklearn_lipnet.utils import row_label
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


def describe_rows(table, positions, limit=NAMED_ROWS):
    """The particles at ``positions``, named for a message, at most ``limit``.

    Parameters
    ----------
    table : pandas.DataFrame
        A particle table.
    positions : sequence of int
        Row positions.
    limit : int, default=10
        How many to name before only counting the rest.

    Returns
    -------
    names : str

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lipnet.utils import describe_rows
    >>> table = pd.DataFrame({"image": [0] * 4, "id": list("abcd")})
    >>> describe_rows(table, [0, 2, 3], limit=2)
    "particle 'a', particle 'c' and 1 more"
    """
    positions = list(positions)
    names = ", ".join(row_label(table, position) for position in positions[:limit])
    more = len(positions) - limit
    return f"{names} and {more} more" if more > 0 else names


def is_missing(value):
    """Whether a cell is absent: None or a scalar NaN (what pandas puts there).

    Parameters
    ----------
    value : object
        A cell of a particle table.

    Returns
    -------
    missing : bool
    """
    if value is None:
        return True
    try:
        return bool(np.ndim(value) == 0 and pd.isna(value))
    except (TypeError, ValueError):
        return False


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


def has_expert_mask(table):
    """Per row of a particle table: does the particle come with an expert mask?

    Parameters
    ----------
    table : pandas.DataFrame
        Particle table; a missing ``mask`` column or cell (None, NaN) means
        no mask.

    Returns
    -------
    has_mask : ndarray of bool, shape (n_rows,)
    """
    if "mask" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return ~table["mask"].map(is_missing).to_numpy(dtype=bool)


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
    sklearn_lipnet.segmentation.particle_masks : A mask for every particle.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.utils import as_particle_table
    >>> table = as_particle_table(np.zeros((3, 32, 32)))
    >>> list(table.columns), len(table)
    (['image'], 3)
    >>> as_particle_table([np.zeros((4, 4)), np.full((4, 4), np.nan)])
    Traceback (most recent call last):
    ...
    ValueError: particle at index 1: image has 16 NaN or infinite pixel(s)...
    """
    frame = _as_frame(X)
    if len(frame) == 0:
        raise ValueError("The particle table is empty: there are no particles.")
    has_masks = "mask" in frame.columns
    given_masks = frame["mask"].tolist() if has_masks else [None] * len(frame)
    images, masks = [], []
    for position, (image, mask) in enumerate(zip(frame["image"], given_masks)):
        try:
            images.append(check_image(image, finite_where="all"))
            masks.append(
                None if is_missing(mask) else check_mask(mask, images[-1].shape)
            )
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
