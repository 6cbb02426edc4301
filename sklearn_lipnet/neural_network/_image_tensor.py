"""From a validated array to the standardised tensor a LipNet network eats."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from ._batching import IMAGE_KEY

__all__ = [
    "HYBRID_LAYOUT",
    "MIN_IMAGE_SIDE",
    "as_image_tensor",
    "as_network_input",
    "input_layout_of",
    "nchw_sample_shape",
    "resize_antialias",
    "resize_images",
    "resize_matrix",
]

#: A 2-D ``X`` is read as flattened square images only from this side on:
#: nobody's particle cut-outs are 7 x 7 pixels, and narrower feature matrices
#: (2, 4, 9, 16, ... columns) are ordinary features.
MIN_IMAGE_SIDE = 8

#: The layout of a 2-D ``X`` whose first columns are a flattened square image
#: and whose other columns are a feature vector (the hybrid network's input).
HYBRID_LAYOUT = "image+features"

# Images are resized in chunks so the float64 detour and the interpolation
# buffers stay small whatever the data size.
_CHUNK = 4096


def _square_side(width):
    side = math.isqrt(width)
    return side if side * side == width else None


def input_layout_of(X, input_layout="auto"):
    """Decide whether ``X`` holds images or plain feature vectors.

    Parameters
    ----------
    X : ndarray of 2, 3 or 4 dimensions
    input_layout : {"auto", "image", "features"}

    Returns
    -------
    layout : {"image", "features"}
    """
    if X.ndim > 4:
        raise ValueError(
            f"X must have 2 (n_samples, n_features), 3 (n_samples, height, width) "
            f"or 4 (n_samples, channels, height, width) dimensions; got {X.ndim}."
        )
    if X.ndim > 2:
        if input_layout == "features":
            raise ValueError(
                f"input_layout='features' needs a 2-D X; got {X.ndim} dimensions."
            )
        return "image"
    side = _square_side(X.shape[1])
    if input_layout == "image":
        if side is None:
            raise ValueError(
                f"input_layout='image' needs rows that are flattened square images, "
                f"but X has {X.shape[1]} columns, which is not a square number."
            )
        return "image"
    if input_layout == "features":
        return "features"
    return "image" if side is not None and side >= MIN_IMAGE_SIDE else "features"


def _as_nchw(X):
    if X.ndim == 2:
        side = _square_side(X.shape[1])
        return X.reshape(len(X), 1, side, side)
    if X.ndim == 3:
        return X[:, None]
    return X


def nchw_sample_shape(sample_shape):
    """``(channels, height, width)`` of one image sample of ``sample_shape``.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample of an image ``X``: ``(side * side,)`` for the
        image matrix, ``(H, W)`` or ``(C, H, W)``.

    Returns
    -------
    shape : tuple of 3 int
        How :func:`as_image_tensor` reads the sample.
    """
    if len(sample_shape) == 1:
        side = _square_side(sample_shape[0])
        return (1, side, side)
    if len(sample_shape) == 2:
        return (1, *sample_shape)
    return tuple(sample_shape)


def _fit_scaling(X, layout):
    """Mean and scale that standardise the training data.

    Images get one mean and scale per channel (a per-pixel one would undo the
    augmentation's geometry); feature vectors get one per feature, like
    ``StandardScaler``. Constant inputs keep a scale of 1.
    """
    if layout == "image":
        X = _as_nchw(X)
        axes = (0, 2, 3)
    else:
        axes = (0,)
    mean = X.mean(axis=axes, dtype=np.float64)
    scale = X.std(axis=axes, dtype=np.float64)
    scale[~(scale > 1e-12 * np.maximum(np.abs(mean), 1))] = 1.0
    return mean, scale


def resize_antialias(image_shape, input_size):
    """Whether images of ``image_shape`` are resized with antialiasing.

    Only when both sides shrink: enlarging needs no low-pass filter, and an
    image shrunk along one side only keeps plain bilinear interpolation.

    Parameters
    ----------
    image_shape : tuple of int
        ``(height, width)`` of the images.
    input_size : int
        Side of the network's square input.

    Returns
    -------
    antialias : bool
    """
    return min(image_shape) > input_size


def resize_matrix(length, size, antialias):
    """The ``(size, length)`` matrix of the resize along one image axis.

    Bilinear resizing (antialiased or not) is separable and linear, so
    resizing ``(n, C, H, W)`` images to ``size x size`` is
    ``R(H) @ X @ R(W).T`` with these matrices. They are read off
    ``torch.nn.functional.interpolate`` itself, as the image of the identity
    matrix resized along its rows only (the columns keep their length, which
    interpolation maps to themselves), in float32 like the images: the
    weights are torch's own, bit for bit.

    Parameters
    ----------
    length : int
        Pixels along the axis before resizing.
    size : int
        Pixels after resizing.
    antialias : bool
        See :func:`resize_antialias`.

    Returns
    -------
    matrix : ndarray of shape (size, length), dtype float32
        Rows sum to one.
    """
    identity = torch.eye(length, dtype=torch.float32)[None, None]
    resized = F.interpolate(
        identity,
        size=(size, length),
        mode="bilinear",
        align_corners=False,
        antialias=antialias,
    )
    return resized[0, 0].numpy()


def resize_images(tensor, input_size):
    """Resize ``(n, C, H, W)`` images to the network's square input side.

    Bilinear, antialiased when shrinking; differentiable, so gradients with
    respect to the images before resizing go through it.

    Parameters
    ----------
    tensor : torch.Tensor of shape (n, C, H, W)
    input_size : int

    Returns
    -------
    resized : torch.Tensor of shape (n, C, input_size, input_size)
        ``tensor`` itself when it has that size already.
    """
    if tuple(tensor.shape[2:]) == (input_size, input_size):
        return tensor
    return F.interpolate(
        tensor,
        size=(input_size, input_size),
        mode="bilinear",
        align_corners=False,
        antialias=resize_antialias(tuple(tensor.shape[2:]), input_size),
    )


def as_image_tensor(X, layout, input_size, device, scaling=None):
    """Standardise ``X``, shape it for the network and move it to ``device``.

    Parameters
    ----------
    X : ndarray
        Validated, finite data (2-D, 3-D or 4-D).
    layout : {"image", "features"}
    input_size : int or None
        Side of the network's square input; images of another size are
        resized (see :func:`resize_images`). ``None`` keeps their size.
    device : str or torch.device
    scaling : tuple of (mean, scale) or None
        The training data's scaling; ``None`` computes it from ``X``.

    Returns
    -------
    tensor : torch.Tensor
        ``float32`` ``(n, C, input_size, input_size)`` for images,
        ``(n, n_features)`` for features.
    scaling : tuple of (mean, scale)
    """
    if scaling is None:
        scaling = _fit_scaling(X, layout)
    mean, scale = scaling
    if layout == "image":
        X = _as_nchw(X)
        shape = (-1, 1, 1)
    else:
        shape = (-1,)
    # float64 data are standardised before the cast, so that large but finite
    # values do not overflow float32.
    work_dtype = np.float64 if X.dtype == np.float64 else np.float32
    mean = mean.reshape(shape).astype(work_dtype)
    inv_scale = (1.0 / scale).reshape(shape).astype(work_dtype)

    chunks = []
    for start in range(0, len(X), _CHUNK):
        chunk = np.asarray(X[start : start + _CHUNK], dtype=work_dtype)
        chunk = ((chunk - mean) * inv_scale).astype(np.float32)
        tensor = torch.from_numpy(np.ascontiguousarray(chunk)).to(device)
        if layout == "image" and input_size is not None:
            tensor = resize_images(tensor, input_size)
        chunks.append(tensor)
    tensor = torch.cat(chunks) if len(chunks) > 1 else chunks[0]
    if not torch.isfinite(tensor).all():
        # Finite inputs can still overflow float32 (|x| > 3e38) when scaled.
        raise ValueError(
            "X holds values too large for float32 after standardisation; "
            "rescale the data."
        )
    return tensor.contiguous(), scaling


def _check_hybrid_columns(X, n_image_features):
    """Check that ``X`` splits into a square image and some features."""
    if X.ndim != 2:
        raise ValueError(
            f"n_image_features={n_image_features} needs a 2-D X (image columns "
            f"then feature columns); got {X.ndim} dimensions."
        )
    if X.shape[1] <= n_image_features:
        raise ValueError(
            f"n_image_features={n_image_features} leaves no feature columns: X "
            f"has {X.shape[1]} columns."
        )
    side = _square_side(n_image_features)
    if side is None or side < MIN_IMAGE_SIDE:
        raise ValueError(
            f"n_image_features={n_image_features} is not the pixel count of a "
            f"square image of at least {MIN_IMAGE_SIDE} x {MIN_IMAGE_SIDE} pixels."
        )


def as_network_input(
    X, layout, input_size, device, scaling=None, n_image_features=None
):
    """:func:`as_image_tensor`, or for the hybrid layout a dict of two tensors.

    Parameters
    ----------
    X : ndarray
        Validated, finite data.
    layout : {"image", "features", "image+features"}
    input_size : int
        Side of the network's square input.
    device : str or torch.device
    scaling : tuple, dict or None
        The training data's scaling; ``None`` computes it from ``X``.
    n_image_features : int or None
        For ``"image+features"``: the leading columns that hold the image.

    Returns
    -------
    network_input : torch.Tensor or dict of {str: torch.Tensor}
        For ``"image+features"``, ``{"image": (n, 1, input_size,
        input_size), "features": (n, n_features)}``, each standardised on
        its own (per channel, per feature).
    scaling : tuple or dict of {str: tuple}
    """
    if layout != HYBRID_LAYOUT:
        return as_image_tensor(X, layout, input_size, device, scaling)
    _check_hybrid_columns(X, n_image_features)
    # The dict's keys are the hybrid network's argument names.
    scaling = scaling or {}
    image, image_scaling = as_image_tensor(
        X[:, :n_image_features], "image", input_size, device, scaling.get("image")
    )
    features, feature_scaling = as_image_tensor(
        X[:, n_image_features:], "features", input_size, device, scaling.get("features")
    )
    return (
        {IMAGE_KEY: image, "features": features},
        {"image": image_scaling, "features": feature_scaling},
    )
