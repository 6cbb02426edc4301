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
