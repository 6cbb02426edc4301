"""Upright bars, and how far a transformation tilted them."""

import numpy as np


def vertical_bars(n_samples, side=28):
    """Bars 2 (``"thin"``) or 4 (``"thick"``) pixels wide, through the centre.

    Returns the image matrix ``(n, side * side)`` as ``float32`` and the
    labels, alternating.
    """
    labels = np.array(["thin", "thick"] * (n_samples // 2))
    images = np.zeros((len(labels), side, side), dtype=np.float32)
    for i, label in enumerate(labels):
        width = 2 if label == "thin" else 4
        left = side // 2 - width // 2
        images[i, :, left : left + width] = 1
    return images.reshape(len(labels), -1), labels


def tilts(images):
    """Angle of each image's bright line from the vertical, in radians.

    ``images`` is a tensor ``(n, 1, H, W)``; the angle is that of the
    least-squares line through the intensity centroids of the rows.
    """
    images = images[:, 0].double().numpy()
    weights = np.clip(images - images.min(axis=(1, 2), keepdims=True), 0, None)
    x = np.arange(images.shape[-1]) + 0.5
    centres = (weights * x).sum(axis=2) / weights.sum(axis=2)
    y = x - x.mean()
    slopes = ((centres - centres.mean(axis=1, keepdims=True)) * y).sum(1) / (y @ y)
    return np.arctan(slopes)
