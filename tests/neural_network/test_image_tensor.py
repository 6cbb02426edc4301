"""The classifier's resize as a fixed linear map (what ONNX export relies on)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_lipnet.neural_network._image_tensor import (
    nchw_sample_shape,
    resize_antialias,
    resize_matrix,
)


@pytest.mark.parametrize(
    "shape, size",
    [((40, 40), 28), ((100, 64), 32), ((29, 29), 28), ((20, 20), 28), ((40, 20), 28)],
)
def test_resize_matrices_reproduce_interpolate(shape, size):
    antialias = resize_antialias(shape, size)
    assert antialias == (min(shape) > size)
    images = np.random.default_rng(0).normal(size=(3, 2, *shape)).astype(np.float32)
    expected = F.interpolate(
        torch.from_numpy(images),
        size=(size, size),
        mode="bilinear",
        align_corners=False,
        antialias=antialias,
    ).numpy()
    rows = resize_matrix(shape[0], size, antialias)
    columns = resize_matrix(shape[1], size, antialias)
    assert rows.shape == (size, shape[0]) and columns.shape == (size, shape[1])
    np.testing.assert_allclose(rows.sum(axis=1), 1, atol=1e-6)
    # torch's own weights: only the summation order differs (a few float32 ulps)
    np.testing.assert_allclose(rows @ images @ columns.T, expected, atol=1e-6)


def test_sample_shapes_read_as_images():
    assert nchw_sample_shape((784,)) == (1, 28, 28)
    assert nchw_sample_shape((30, 40)) == (1, 30, 40)
    assert nchw_sample_shape((3, 30, 40)) == (3, 30, 40)
