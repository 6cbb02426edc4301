"""One rule for what an image and a particle mask are, used everywhere.

The particle table, the feature functions and the particle description all
check their arrays here, so that a mask accepted by one is accepted by all.
"""

from numbers import Number

import numpy as np
import pandas as pd

__all__ = ["check_image", "check_labels", "check_mask"]


def check_image(image, *, finite_where=None):
    """Return ``image`` as a 2-D real array, or raise naming the problem.

    Parameters
    ----------
    image : array-like
        A grayscale image: 2-D, non-empty, of an integer or float dtype.
    finite_where : ndarray of bool or "all" or None, default=None
        Where the pixels must be finite: everywhere (``"all"``), inside a
        mask, or nowhere in particular (``None``).

    Returns
    -------
    image : ndarray of shape (height, width)
        The input as an array (not copied).

    Raises
    ------
    ValueError
        For ragged input, another number of dimensions (with a hint for
        colour images), a bool, complex, object or string dtype, an empty image, or
        NaN / infinite pixels where they must be finite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.utils import check_image
    >>> check_image(np.zeros((2, 3), np.uint8)).shape
    (2, 3)
    >>> check_image(np.zeros((4, 4, 3)))
    Traceback (most recent call last):
    ...
    ValueError: image must be a 2-D array, got shape (4, 4, 3). Colour images ...
    """
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
        what = "complex" if array.dtype.kind == "c" else f"dtype {array.dtype}"
        raise ValueError(
            f"image must hold real numbers (integer or float), got {what} values."
        )
    if array.size == 0:
        raise ValueError(f"image is empty, shape {array.shape}.")
    if array.dtype.kind == "f" and finite_where is not None:
        values = array if isinstance(finite_where, str) else array[finite_where]
        n_bad = np.count_nonzero(~np.isfinite(values))
        if n_bad:
            where = "" if isinstance(finite_where, str) else " inside the mask"
            raise ValueError(
                f"image has {n_bad} NaN or infinite pixel(s){where}; fill or drop them."
            )
    return array


def check_mask(mask, image_shape=None):
    """Return ``mask`` as a 2-D boolean array, or raise naming the problem.

    A mask is ``True`` on the particle. Boolean arrays are taken as they are;
    numeric arrays holding only 0 and 1 (a mask read from an 8-bit file and
    divided by 255, say) are converted. Anything else is refused rather than
    guessed at.

    Parameters
    ----------
    mask : array-like
    image_shape : tuple of int, optional
        The shape of the mask's image, which the mask must have.

    Returns
    -------
    mask : ndarray of bool

    Raises
    ------
    ValueError
        For another number of dimensions, values other than 0/1, a shape
        that differs from the image's, or an empty mask.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.utils import check_mask
    >>> check_mask(np.eye(2, dtype=int)).dtype
    dtype('bool')
    >>> check_mask(np.zeros((2, 2), bool))
    Traceback (most recent call last):
    ...
    ValueError: mask is empty: no pixel is set.
    """
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"mask must be a 2-D array, got shape {array.shape}.")
    if array.dtype != bool:
        if array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all():
            raise ValueError(
                "mask must be boolean (or hold only 0 and 1); got dtype "
                f"{array.dtype}. Convert it with mask > 0."
            )
        array = array.astype(bool)
    if image_shape is not None and array.shape != tuple(image_shape):
        raise ValueError(
            f"mask shape {array.shape} differs from image shape {tuple(image_shape)}."
        )
    if not array.any():
        raise ValueError("mask is empty: no pixel is set.")
    return array


def check_labels(y, name="y"):
    """Refuse class labels that cannot be sorted: missing values, mixed types.

    scikit-learn sorts the classes, and a ``None`` or a number among string
    labels fails there with numpy's ``'<' not supported between instances``.
    This says what is wrong instead.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    name : str, default="y"
        How messages call ``y``.

    Returns
    -------
    y : array-like
        The input, unchanged.

    Raises
    ------
    ValueError
        If labels are missing (None, NaN) among labels of an object array, or
        the labels mix strings and numbers.

    Examples
    --------
    >>> from sklearn_lipnet.utils import check_labels
    >>> check_labels(["full", "empty"])
    ['full', 'empty']
    >>> check_labels(["full", None, "empty"])
    Traceback (most recent call last):
    ...
    ValueError: y has 1 missing label(s) (None or NaN), e.g. at position 1; ...
    """
    array = np.asarray(y)
    if array.dtype != object or array.ndim != 1:
        return y
    missing = np.flatnonzero(pd.isna(array))
    if missing.size:
        raise ValueError(
            f"{name} has {missing.size} missing label(s) (None or NaN), e.g. at "
            f"position {missing[0]}; every particle needs a class."
        )
    kinds = {
        "strings"
        if isinstance(v, str)
        else "numbers"
        if isinstance(v, Number)
        else type(v).__name__
        for v in array
    }
    if len(kinds) > 1:
        raise ValueError(
            f"{name} mixes labels of different types ({', '.join(sorted(kinds))}), "
            "which cannot be sorted; give every label the same type (e.g. str)."
        )
    return y
