"""Feature kernels equal their plain definitions (issue 14 speed-ups).

Bit for bit, except where a faster kernel sums in another order (said there).
"""

import numpy as np
from scipy import ndimage as ndi

from sklearn_lipnet.features._geometry import ParticleGeometry
from sklearn_lipnet.features._intensity import _moments_of, _variance_of
from sklearn_lipnet.features._profile import (
    _binned_means,
    _radial_profile_of,
    _ring_positions,
    _signal_to_noise_of,
)
from sklearn_lipnet.features._shape import _FERET_DIRECTIONS, _diameter_of

from .._particle_shapes import ellipse_mask


def _masks():
    """Random blobs and exact disks and ellipses (whose distances hit ring edges)."""
    rng = np.random.default_rng(0)
    for _ in range(40):
        noise = ndi.gaussian_filter(rng.standard_normal((50, 60)), 3)
        mask = noise > np.percentile(noise, rng.uniform(30, 90))
        if mask.sum() >= 2:
            yield mask
    for radius in (1, 2, 5, 10, 16, 25):
        yield ellipse_mask(radius, radius)
        yield ellipse_mask(radius + 3, radius, angle=0.3, centre_offset=(0.5, 0))


def test_geometry_equals_nonzero_and_distance_transform():
    for mask in _masks():
        geometry = ParticleGeometry(mask)
        rows, cols = np.nonzero(geometry.padded)
        np.testing.assert_array_equal(geometry.rows, rows)
        np.testing.assert_array_equal(geometry.cols, cols)
        distance = ndi.distance_transform_edt(geometry.padded)
        np.testing.assert_array_equal(geometry.depths, distance[rows, cols] - 0.5)
        image = np.arange(mask.size, dtype=float).reshape(mask.shape)
        np.testing.assert_array_equal(geometry.pixels_of(image), image[mask])


def test_radial_profile_uses_hypot_rings():
    rng = np.random.default_rng(1)
    for mask in _masks():
        geometry = ParticleGeometry(mask)
        values = rng.random(geometry.area)
        rows, cols = geometry.rows, geometry.cols
        distance = np.hypot(rows - rows.mean(), cols - cols.mean())
        for n_bins in (5, 16, 40):
            expected = _binned_means(
                values, distance * (n_bins / distance.max()), n_bins
            )
            np.testing.assert_array_equal(
                _radial_profile_of(values, geometry, n_bins), expected
            )


def test_ring_positions_are_those_of_hypot_at_the_edges():
    # np.hypot puts the first point at exactly half the farthest distance,
    # on the edge of ring 1 of 2; sqrt(dx**2 + dy**2) puts it a unit in the
    # last place short, in ring 0. And the other way round for the second.
    dx = np.array([2.1575526369465483, 2.609050870725202, 8.0])
    dy = np.array([3.3682290033198448, 3.0319718920148424, 0.0])
    assert np.hypot(dx[0], dy[0]) == 4.0 > np.sqrt(dx[0] ** 2 + dy[0] ** 2)
    assert np.hypot(dx[1], dy[1]) < 4.0 == np.sqrt(dx[1] ** 2 + dy[1] ** 2)
    positions = _ring_positions(dx, dy, 2)
    np.testing.assert_array_equal(positions.astype(int), [1, 0, 2])
    np.testing.assert_array_equal(positions, np.hypot(dx, dy) * (2 / 8.0))
    # The largest distance is np.hypot's too (here a unit in the last place
    # below the fast one's 8.0).
    dx, dy = dx[:2] * [1, 2], dy[:2] * [1, 2]
    assert np.hypot(dx, dy).max() < 8.0 == np.sqrt(dx**2 + dy**2).max()
    np.testing.assert_array_equal(
        _ring_positions(dx, dy, 16), np.hypot(dx, dy) * (16 / np.hypot(dx, dy).max())
    )


def test_diameter_is_the_widest_projection_of_all_row_ends():
    for mask in _masks():
        geometry = ParticleGeometry(mask)
        rows = np.flatnonzero(geometry.padded.any(axis=1))
        sub = geometry.padded[rows]
        first = sub.argmax(axis=1)
        last = sub.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)
        points = np.concatenate(
            [np.column_stack([rows, first]), np.column_stack([rows, last])]
        ).astype(float)
        projections = points @ _FERET_DIRECTIONS
        expected = (projections.max(axis=0) - projections.min(axis=0)).max() + 0.5
        assert _diameter_of(geometry) == expected


def test_moments_variance_and_signal_to_noise_equal_numpy_formulas():
    rng = np.random.default_rng(2)
    for mask in _masks():
        geometry = ParticleGeometry(mask)
        weights = rng.random(geometry.area)
        x = geometry.cols - (weights @ geometry.cols) / weights.sum()
        y = geometry.rows - (weights @ geometry.rows) / weights.sum()
        orders = ((2, 0), (0, 2), (3, 0), (0, 3), (1, 1), (2, 1))
        expected = [
            _power_product(weights, x, y, p, q).sum()
            / (weights.sum() * weights.size ** ((p + q) / 2))
            for p, q in orders
        ]
        # Summed over the box's rows and columns instead of over pixels:
        # equal up to rounding (mu30 and mu03 cancel to about 1e-5, hence
        # an absolute tolerance well below any moment's scale).
        np.testing.assert_allclose(
            _moments_of(weights, geometry, orders),
            np.array(expected),
            rtol=1e-12,
            atol=1e-14,
        )
        assert _variance_of(weights) == np.var(weights)
        depths = geometry.depths
        band = depths < max(2.0, float(depths.max()) / 4)
        if np.ptp(weights[band]) > 0:
            ring = depths[band].astype(np.intp)
            counts = np.bincount(ring)
            means = np.bincount(ring, weights=weights[band])[counts > 0]
            means /= counts[counts > 0]
            across = counts[counts > 0] @ (means - weights[band].mean()) ** 2
            expected_snr = min(across / band.sum() / np.var(weights[band]), 1.0)
            assert _signal_to_noise_of(weights, geometry, None) == expected_snr


def _power_product(weights, x, y, p, q):
    # The documented evaluation order: the weights times x, p times, then
    # times y, q times.
    term = weights
    for _ in range(p):
        term = term * x
    for _ in range(q):
        term = term * y
    return term
