"""Noise fields for the synthetic micrographs: fractal background, shot noise."""

import numpy as np

# Mean over one cell of the sum of squared uniform cubic B-spline weights: the
# variance of a spline surface whose control values are independent N(0, 1),
# per axis. Dividing by it gives octaves of unit variance on average.
_BSPLINE_MEAN_SQUARED_WEIGHT = 151 / 315


def _bspline_matrix(length, cell, phase):
    """Matrix mapping control values on a grid of spacing ``cell`` to pixels.

    Row ``i`` holds the four uniform cubic B-spline weights of pixel ``i``
    (at position ``i + phase`` in grid units of ``cell`` pixels), so that
    ``W @ values`` evaluates a smooth curve through the control values.
    """
    position = (np.arange(length) + phase) / cell
    first = np.floor(position).astype(np.intp)
    f = (position - first).astype(np.float32)
    weights = np.stack(
        [
            (1 - f) ** 3 / 6,
            (3 * f**3 - 6 * f**2 + 4) / 6,
            (-3 * f**3 + 3 * f**2 + 3 * f + 1) / 6,
            f**3 / 6,
        ],
        axis=1,
    )
    n_control = int(first[-1]) + 4
    matrix = np.zeros((length, n_control), dtype=np.float32)
    rows = np.arange(length)[:, None]
    matrix[rows, first[:, None] + np.arange(4)] = weights
    return matrix


def fractal_noise(shape, scale, rng, *, octaves=4, persistence=0.5):
    """Smooth random field with structure on several scales (Perlin-like).

    A sum of ``octaves`` cubic B-spline value-noise layers: the first has
    control points every ``scale`` pixels, each further one is twice as fine
    and ``persistence`` times as strong (fractional Brownian motion). Each
    layer is evaluated separably as ``Wy @ G @ Wx.T``, two small matrix
    products, so the cost is that of a few passes over the image.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width)`` of the field in pixels.
    scale : float
        Spacing in pixels of the coarsest control grid, i.e. the typical size
        of the largest blobs.
    rng : numpy.random.Generator
        Source of randomness.
    octaves : int, default=4
        Number of layers.
    persistence : float, default=0.5
        Amplitude ratio between successive layers.

    Returns
    -------
    field : ndarray of shape ``shape``, dtype float32
        Zero-mean field of unit variance on average over realisations.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.datasets._noise import fractal_noise
    >>> field = fractal_noise((64, 80), 32, np.random.default_rng(0))
    >>> field.shape, field.dtype
    ((64, 80), dtype('float32'))
    """
    height, width = shape
    field = np.zeros(shape, dtype=np.float32)
    total_variance = 0.0
    for octave in range(octaves):
        cell = max(scale / 2**octave, 1.0)
        amplitude = persistence**octave
        rows = _bspline_matrix(height, cell, rng.uniform(0, cell))
        cols = _bspline_matrix(width, cell, rng.uniform(0, cell))
        control = rng.standard_normal((rows.shape[1], cols.shape[1]), dtype=np.float32)
        field += amplitude * (rows @ control @ cols.T)
        total_variance += amplitude**2
    field /= np.float32(np.sqrt(total_variance) * _BSPLINE_MEAN_SQUARED_WEIGHT)
    return field
