"""A small image problem whose answer a LipNet must find: discs vs rings."""

import numpy as np


def discs_and_rings(n_samples=150, side=28, weights=(0.6, 0.4), noise=0.35, seed=0):
    """Noisy filled discs (``"disc"``) and hollow rings (``"ring"``).

    Radii and centres vary; Gaussian noise of ``noise`` (signal amplitude 1)
    covers every image. Returns the image matrix ``(n, side * side)`` as
    ``float32`` and string labels.
    """
    rng = np.random.default_rng(seed)
    counts = np.round(np.asarray(weights) * n_samples).astype(int)
    counts[0] = n_samples - counts[1:].sum()
    labels = np.repeat(np.array(["disc", "ring"]), counts)
    rng.shuffle(labels)
    yy, xx = np.mgrid[:side, :side]
    images = np.empty((n_samples, side, side), dtype=np.float32)
    for i, label in enumerate(labels):
        cy, cx = side / 2 + rng.uniform(-2, 2, size=2)
        radius = rng.uniform(0.25, 0.38) * side
        distance = np.hypot(yy - cy, xx - cx)
        if label == "disc":
            image = distance <= radius
        else:
            image = np.abs(distance - radius) <= 1.5
        images[i] = image + rng.normal(0, noise, size=(side, side))
    return images.reshape(n_samples, -1), labels


def three_shapes(n_per_class=12, side=28, noise=0.2, seed=0):
    """Horizontal bars, vertical bars and discs: a perfectly separable problem.

    The labels come in the order ``"zebra"`` (horizontal bar), ``"ant"``
    (vertical bar), ``"moth"`` (disc), repeated: the first label sorts last,
    so codes given in order of first appearance differ from the sorted
    ``classes_``. Returns the image matrix ``(n, side * side)`` as
    ``float32`` and the labels.
    """
    rng = np.random.default_rng(seed)
    labels = np.array(["zebra", "ant", "moth"] * n_per_class)
    centre = side // 2
    yy, xx = np.mgrid[:side, :side]
    disc = np.hypot(yy - centre, xx - centre) < side / 4
    images = np.zeros((len(labels), side, side), dtype=np.float32)
    for i, label in enumerate(labels):
        if label == "zebra":
            images[i, centre - 2 : centre + 2, 4:-4] = 1
        elif label == "ant":
            images[i, 4:-4, centre - 2 : centre + 2] = 1
        else:
            images[i] = disc
        images[i] += rng.normal(0, noise, size=(side, side))
    return images.reshape(len(labels), -1), labels


def discs_by_size(n_samples=200, small=(12, 20), large=(30, 48), seed=0):
    """Textured discs whose class is their size alone: ``"small"`` or ``"large"``.

    Every disc has the same kind of smooth random texture, defined relative
    to its radius, and its cut-out has a margin of half a radius, so that
    resized to a common side the two classes look alike; only the physical
    radius (pixels at 1 nm per pixel) tells them apart. Returns a particle
    table (``image``, ``mask``, ``pixel_size_nm``) and string labels, half of
    each class.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    labels = np.array(
        ["small", "large"] * (n_samples // 2) + ["small"] * (n_samples % 2)
    )
    rng.shuffle(labels)
    images, masks = [], []
    for label in labels:
        radius = rng.uniform(*(small if label == "small" else large))
        side = int(np.ceil(3 * radius))
        rows, cols = (np.mgrid[:side, :side] + 0.5 - side / 2) / radius
        texture = np.zeros((side, side))
        for _ in range(3):
            frequency = rng.uniform(0.5, 1.5) * 2 * np.pi
            angle = rng.uniform(0, np.pi)
            wave = np.cos(angle) * rows + np.sin(angle) * cols
            texture += np.sin(frequency * wave + rng.uniform(0, 2 * np.pi))
        inside = np.hypot(rows, cols) < 1
        images.append(np.where(inside, 100 + 15 * texture, 180 + 5 * texture))
        masks.append(inside)
    table = pd.DataFrame(
        {"image": images, "mask": masks, "pixel_size_nm": np.ones(n_samples)}
    )
    return table, labels
