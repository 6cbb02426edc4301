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


def vesicle_image(side, radius, n_membranes=1, noise=10.0, rng=None, dtype=np.uint8):
    """A liposome-like cut-out: dark membrane rings on a light, noisy background.

    Returns ``(image, mask)``; the mask is the disk just outside the outer
    membrane.
    """
    rng = np.random.default_rng(rng)
    radius_px = radius_map((side, side))
    image = 180.0 + noise * rng.standard_normal((side, side))
    for k in range(n_membranes):
        image[np.abs(radius_px - (radius - 2 - 5 * k)) < 1.5] -= 90
    image = np.clip(image, 0, 255)
    if np.dtype(dtype).kind == "f":
        image = image / 255
    return image.astype(dtype), radius_px <= radius


def vesicle_table(n_samples, rng=0, with_masks=True):
    """Particle table of unilamellar (2/3) and multilamellar vesicles + labels."""
    import pandas as pd

    rng = np.random.default_rng(rng)
    images, masks, labels = [], [], []
    for i in range(n_samples):
        multilamellar = i % 3 == 2
        radius = rng.uniform(15, 30)
        side = int(2 * radius + 40)
        image, mask = vesicle_image(
            side, radius, n_membranes=3 if multilamellar else 1, rng=rng
        )
        images.append(image)
        masks.append(mask)
        labels.append("multilamellar" if multilamellar else "unilamellar")
    table = pd.DataFrame({"image": images})
    if with_masks:
        table["mask"] = masks
    return table, np.array(labels, dtype=object)
