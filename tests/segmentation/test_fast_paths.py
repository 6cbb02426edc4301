"""The segmentation's fast helpers equal the library calls they replace, bit for bit."""

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.draw import polygon_perimeter
from skimage.filters import apply_hysteresis_threshold

from sklearn_lipnet.segmentation._filters import along_rays, median_of, percentile_of
from sklearn_lipnet.segmentation._particle import (
    _fill_holes,
    _hysteresis,
    _outer_radii,
    _polygon_outline,
)


def test_median_and_percentile_equal_numpy_bit_for_bit():
    rng = np.random.default_rng(0)
    for _ in range(300):
        values = (rng.standard_normal(int(rng.integers(1, 3000))) * 10).astype(
            np.float32
        )
        if rng.random() < 0.3:  # ties
            values = np.round(values)
        median = median_of(values)
        assert median == np.median(values) and median.dtype == np.float32
        for q in (99.9, 99.0, 50.0, 1.0, 0.0, 100.0, 37.3):
            percentile = percentile_of(values, q)
            assert percentile == np.percentile(values, q)
            assert percentile.dtype == np.percentile(values, q).dtype
    integers = rng.integers(0, 50, 40)
    assert median_of(integers) == np.median(integers)
    assert median_of(integers[:-1]) == np.median(integers[:-1])


def test_hysteresis_equals_scikit_image():
    rng = np.random.default_rng(1)
    for _ in range(50):
        image = ndi.uniform_filter(rng.standard_normal((40, 50)), 3) * 3
        low, high = rng.random() * 2, rng.random() * 3
        np.testing.assert_array_equal(
            _hysteresis(image, low, high), apply_hysteresis_threshold(image, low, high)
        )


def _outer_radii_with_scipy_sparse(on):
    # The implementation _outer_radii replaced: merge the labels that meet
    # across the seam with scipy's connected components, relabel the map,
    # then take the largest radius of each set per direction.
    labels, n_labels = ndi.label(on, structure=np.ones((3, 3)))
    if n_labels == 0:
        return np.empty((0, on.shape[0]), dtype=int)
    first, last = labels[0], labels[-1]
    a = np.concatenate([first[:-1], first, first[1:]])
    b = np.concatenate([last[1:], last, last[:-1]])
    touching = (a > 0) & (b > 0)
    graph = coo_matrix(
        (np.ones(touching.sum()), (a[touching], b[touching])),
        shape=(n_labels + 1, n_labels + 1),
    )
    _, component = connected_components(graph, directed=False)
    labels = np.where(labels > 0, component[labels] + 1, 0)
    angle, radius = np.nonzero(labels)
    outer = np.full((labels.max() + 1, on.shape[0]), -1)
    np.maximum.at(outer, (labels[angle, radius], angle), radius)
    return outer[np.any(outer >= 0, axis=1)]


def test_outer_radii_equal_relabelling_with_connected_components():
    rng = np.random.default_rng(2)
    n_merged = 0
    for _ in range(300):
        on = rng.random(tuple(rng.integers(3, 30, 2))) < rng.random()
        expected = _outer_radii_with_scipy_sparse(on)
        np.testing.assert_array_equal(_outer_radii(on), expected)
        n_merged += ndi.label(on, structure=np.ones((3, 3)))[1] > len(expected)
    # The random maps exercise the merging across the seam, often.
    assert n_merged > 50


@pytest.mark.parametrize("n_vertices", [3, 7, 180])
def test_outline_and_fill_equal_scikit_image_and_scipy(n_vertices):
    # Star polygons around the centre, like the segmentation's; their
    # radii vary smoothly, as after its median over directions.
    rng = np.random.default_rng(n_vertices)
    for _ in range(100):
        height, width = rng.integers(12, 160, 2)
        angles = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
        radius = rng.uniform(3, (min(height, width) / 2 - 1) / 1.15)
        radii = radius * (1 + 0.15 * np.sin(rng.integers(1, 4) * angles + rng.random()))
        rows = np.round((height - 1) / 2 + np.sin(angles) * radii)
        cols = np.round((width - 1) / 2 + np.cos(angles) * radii)
        expected = np.zeros((height, width), bool)
        expected[polygon_perimeter(rows, cols, shape=(height, width))] = True
        found = np.zeros((height, width), bool)
        out_rows, out_cols = _polygon_outline(
            rows.astype(np.intp), cols.astype(np.intp)
        )
        found[out_rows, out_cols] = True
        np.testing.assert_array_equal(found, expected)
        np.testing.assert_array_equal(
            _fill_holes(expected), ndi.binary_fill_holes(expected)
        )


def test_fill_holes_equals_scipy_on_any_mask():
    rng = np.random.default_rng(3)
    for _ in range(300):
        outline = rng.random(tuple(rng.integers(1, 40, 2))) < rng.random()
        np.testing.assert_array_equal(
            _fill_holes(outline), ndi.binary_fill_holes(outline)
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_along_rays_equals_map_coordinates(dtype):
    rng = np.random.default_rng(3)
    for shape in [(2, 2), (7, 13), (40, 31)]:
        image = (rng.random(shape) * 200).astype(dtype)
        origin = (rng.uniform(-2, shape[0] + 1), rng.uniform(-2, shape[1] + 1))
        angles = rng.uniform(0, 2 * np.pi, 50)
        distances = np.r_[0.0, rng.uniform(0, 30, 40), 0.5, 1.0]
        # Points exactly on the last row and column are inside, as for scipy.
        angles[:2] = [np.pi / 2, 0.0]
        distances[-2:] = [shape[0] - 1 - origin[0], shape[1] - 1 - origin[1]]
        expected = ndi.map_coordinates(
            image.astype(np.float64),
            [
                origin[0] + np.sin(angles)[:, None] * distances,
                origin[1] + np.cos(angles)[:, None] * distances,
            ],
            order=1,
            mode="constant",
            cval=np.nan,
        )
        found = along_rays(image, origin, angles, distances)
        assert found.shape == (50, distances.size)
        np.testing.assert_array_equal(np.isnan(found), np.isnan(expected))
        tolerance = 1e-4 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(found, expected, rtol=tolerance, atol=tolerance)
    per_ray = along_rays(image, (20.0, 15.0), angles[:3], rng.uniform(0, 9, (3, 4)), 0)
    assert per_ray.shape == (3, 4)
