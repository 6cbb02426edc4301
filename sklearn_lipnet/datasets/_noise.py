"""Noise fields for the synthetic micrographs: fractal background, shot noise."""

import numpy as np

# Mean over one cell of the sum of squared uniform cubic B-spline weights: the
# variance of a spline surface whose control values are independent N(0, 1),
# per axis. Dividing by it gives octaves of unit variance on average.
_BSPLINE_MEAN_SQUARED_WEIGHT = 151 / 315


def _bspline_matrix(length, cells, phases):
    """Matrix mapping spline control values to pixels, for several grids.

    Grid ``k`` has control points every ``cells[k]`` pixels, shifted by
    ``phases[k]``; its columns form the k-th block of the matrix. Row ``i``
    holds the four uniform cubic B-spline weights of pixel ``i`` in each
    grid, so that ``W @ values`` evaluates smooth curves through the
    control values.
    """
    position = (np.arange(length)[None, :] + phases[:, None]) / cells[:, None]
    first = np.floor(position).astype(np.intp)
    f = (position - first).astype(np.float32)
    weights = np.stack(
        [
            (1 - f) ** 3 / 6,
            (3 * f**3 - 6 * f**2 + 4) / 6,
            (-3 * f**3 + 3 * f**2 + 3 * f + 1) / 6,
            f**3 / 6,
        ],
        axis=-1,
    )
    n_control = first[:, -1] + 4
    block_start = np.concatenate([[0], np.cumsum(n_control)[:-1]])
    columns = block_start[:, None, None] + first[:, :, None] + np.arange(4)
    matrix = np.zeros((length, n_control.sum()), dtype=np.float32)
    matrix[np.arange(length)[None, :, None], columns] = weights
    return matrix, n_control


def fractal_noise(shape, scale, rng, *, octaves=3, persistence=0.5):
    """Smooth random field with structure on several scales (Perlin-like).

    A sum of ``octaves`` cubic B-spline value-noise layers: the first has
    control points every ``scale`` pixels, each further one is twice as fine
    and ``persistence`` times as strong (fractional Brownian motion). All
    layers are evaluated at once as ``Wy @ G @ Wx.T`` with block-diagonal
    ``G``: two small matrix products, whatever the image size.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width)`` of the field in pixels.
    scale : float
        Spacing in pixels of the coarsest control grid, i.e. the typical size
        of the largest blobs.
    rng : numpy.random.Generator
        Source of randomness.
    octaves : int, default=3
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
    cells = np.maximum(scale / 2.0 ** np.arange(octaves), 1.0)
    amplitudes = persistence ** np.arange(octaves)
    rows, n_rows = _bspline_matrix(height, cells, rng.uniform(0, cells))
    cols, n_cols = _bspline_matrix(width, cells, rng.uniform(0, cells))
    control = np.zeros((rows.shape[1], cols.shape[1]), dtype=np.float32)
    row_start, col_start = 0, 0
    for n_row, n_col, amplitude in zip(n_rows, n_cols, amplitudes):
        block = rng.standard_normal((n_row, n_col), dtype=np.float32)
        control[row_start : row_start + n_row, col_start : col_start + n_col] = (
            amplitude * block
        )
        row_start += n_row
        col_start += n_col
    field = rows @ control @ cols.T
    field /= np.float32(np.sqrt(np.sum(amplitudes**2)) * _BSPLINE_MEAN_SQUARED_WEIGHT)
    return field
