"""Mask-free features on shapes whose answer is known analytically."""

import math

import numpy as np
import pytest
from skimage.feature import local_binary_pattern

from sklearn_lipnet.features import (
    angular_harmonics,
    density_moments,
    haralick_features,
    intensity_statistics,
    lbp_histogram,
    orientation_coherence,
    ring_profile,
    ring_spread,
)
from sklearn_lipnet.features._centred import centred_disc
from sklearn_lipnet.features._texture import _uniform_lbp_labels

from .._particle_shapes import ellipse_mask, radius_map


def polar(side):
    rows, cols = np.mgrid[:side, :side] - (side - 1) / 2
    return np.hypot(rows, cols), np.arctan2(rows, cols)


def test_the_centred_disc_is_shared_read_only_and_has_the_discs_area():
    disc = centred_disc((81, 120))  # R = 40.5, centre (40, 59.5)
    assert centred_disc(np.zeros((81, 120)).shape) is disc
    assert abs(disc.inside.sum() - np.pi * 40.5**2) < 2 * np.pi * 40.5  # one rim
    rows, cols = np.nonzero(disc.inside)
    np.testing.assert_allclose(disc.dy * 40.5, rows - 40)
    np.testing.assert_allclose(disc.dx * 40.5, cols - 59.5)
    np.testing.assert_allclose(disc.radius, np.hypot(disc.dx, disc.dy))
    np.testing.assert_allclose(disc.angle_cos**2 + disc.angle_sin**2, 1.0)
    assert disc.radius.max() < 1
    # Shared between particles, so no feature may change it.
    with pytest.raises(ValueError, match="read-only"):
        disc.radius[0] = 0.5


def test_ring_profile_finds_rings_at_their_radius():
    radius, _ = polar(121)  # R = 60.5
    for r in (10.0, 30.0, 50.0):
        image = (np.abs(radius - r) < 1.5).astype(float)
        profile = ring_profile(image, n_bins=11)  # bins 5.5 px wide
        assert np.argmax(profile) == int(r / 5.5)
    np.testing.assert_allclose(ring_profile(np.full((40, 40), 3.0), 8), 3.0)
    # A radial ramp gives the mean radius of each ring.
    profile = ring_profile(radius, n_bins=11)
    np.testing.assert_allclose(profile[1:], (np.arange(1, 11) + 0.5) * 5.5, atol=0.3)


def test_ring_spread_is_zero_for_round_images_and_measures_asymmetry():
    radius, theta = polar(101)
    stepped = np.floor(radius / 50.5 * 5)  # constant on each of 5 rings
    np.testing.assert_allclose(ring_spread(stepped, 5), 0.0, atol=1e-12)
    # Half the ring at 0, half at 2: standard deviation 1.
    halves = np.where(np.cos(theta) > 0, 2.0, 0.0)
    np.testing.assert_allclose(ring_spread(halves, 5), 1.0, atol=0.03)
    # cos(3 theta) has standard deviation 1 / sqrt(2) around every ring.
    np.testing.assert_allclose(
        ring_spread(np.cos(3 * theta), 5)[1:], 1 / np.sqrt(2), atol=0.02
    )


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_angular_harmonics_measure_the_k_fold_amplitude(k):
    _, theta = polar(121)
    image = 7 + 0.8 * np.cos(k * theta + 0.4)
    amplitudes = angular_harmonics(image, n_harmonics=4, n_rings=1)
    expected = np.where(np.arange(1, 5) == k, 0.8, 0.0)
    np.testing.assert_allclose(amplitudes, expected, atol=0.01)
    # Rotating the particle moves only the phase.
    np.testing.assert_allclose(
        angular_harmonics(np.rot90(image), 4, n_rings=1), amplitudes, atol=1e-9
    )


def test_angular_harmonics_tell_the_rings_apart():
    radius, theta = polar(121)
    inner_rod = np.where(radius < 60.5 / 3, np.cos(2 * theta), 0.0)  # inner third
    amplitudes = angular_harmonics(inner_rod, n_harmonics=2, n_rings=3)
    assert amplitudes[1] == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(amplitudes[2:], 0.0, atol=1e-9)


def test_orientation_coherence_of_stripes_rings_and_noise():
    radius, theta = polar(96)
    rows, cols = np.mgrid[:96, :96]
    for angle in (0.0, 0.5, 1.2):
        stripes = np.sin((cols * np.cos(angle) + rows * np.sin(angle)) / 2.5)
        # Central differences are exact along the axes, nearly so obliquely.
        assert orientation_coherence(stripes, n_rings=1)[0] == pytest.approx(
            1.0, abs=1e-3
        )
    rings = np.sin(radius / 2.5)
    assert orientation_coherence(rings, n_rings=3)[::2].max() < 0.05
    noise = np.random.default_rng(0).normal(size=(96, 96))
    assert orientation_coherence(noise, n_rings=1)[0] < 0.1
    # A bar in the middle: coherent inside, not in the empty outer ring.
    bar = ((np.abs(rows - 47.5) < 3) & (np.abs(cols - 47.5) < 14)).astype(float)
    coherence = orientation_coherence(bar, n_rings=3, sigma=1.0)
    assert coherence[0] > 0.5 and coherence[4] == 0 and coherence[5] == 0
    assert orientation_coherence(np.zeros((20, 20)), n_rings=2).tolist() == [0] * 4


def test_density_moments_of_discs_and_ellipses():
    side, half = 101, 50.5
    disc = radius_map((side, side)) <= 20
    mass, gyration, offset, anisotropy, c21, c30 = density_moments(
        np.where(disc, 0.25, 1.0)
    )
    assert mass == pytest.approx(0.75 * disc.sum() / (np.pi * half**2), rel=0.01)
    assert gyration == pytest.approx(20 / np.sqrt(2) / half, rel=0.02)
    assert offset == pytest.approx(0, abs=1e-9)
    assert anisotropy == pytest.approx(0, abs=0.01)
    assert c21 == pytest.approx(0, abs=1e-6) and c30 == pytest.approx(0, abs=1e-6)
    for a, b in [(30, 15), (24, 12), (20, 18)]:
        ellipse = ellipse_mask(a, b, angle=0.7, shape=(side, side))
        moments = density_moments(np.where(ellipse, 0.0, 1.0))
        assert moments[3] == pytest.approx((a * a - b * b) / (a * a + b * b), abs=0.02)
    moved = ellipse_mask(10, 10, shape=(side, side), centre_offset=(0, 15))
    assert density_moments(np.where(moved, 0.0, 1.0))[2] == pytest.approx(
        15 / half, rel=0.01
    )
    # A triangle is not symmetric under a half turn: third orders appear.
    rows, cols = np.mgrid[:side, :side] - 50.0
    triangle = (rows < 15) & (rows > 2 * np.abs(cols) - 25)
    assert density_moments(np.where(triangle, 0.0, 1.0))[5] > 0.1
    np.testing.assert_array_equal(density_moments(np.ones((30, 30))), 0.0)
    # The contrast scales the mass only.
    weak = density_moments(np.where(disc, 0.9, 1.0))
    np.testing.assert_allclose(
        weak[1:], [gyration, offset, anisotropy, c21, c30], rtol=1e-9, atol=1e-9
    )


def _uniform_lbp_by_the_definition(levels, n_points, radius):
    """Uniform LBP labels pixel by pixel, as documented (an oracle)."""
    image = np.asarray(levels, dtype=np.float64)
    margin = int(np.ceil(radius))
    angles = 2 * np.pi * np.arange(n_points) / n_points
    offsets = list(
        zip(np.round(-radius * np.sin(angles), 5), np.round(radius * np.cos(angles), 5))
    )
    labels = []
    for r in range(margin, image.shape[0] - margin):
        for c in range(margin, image.shape[1] - margin):
            bits = []
            for row_offset, col_offset in offsets:
                y, x = r + row_offset, c + col_offset
                y0, x0, y1, x1 = (
                    int(math.floor(y)),
                    int(math.floor(x)),
                    int(math.ceil(y)),
                    int(math.ceil(x)),
                )
                dy, dx = y - y0, x - x0
                top = (1 - dx) * image[y0, x0] + dx * image[y0, x1]
                bottom = (1 - dx) * image[y1, x0] + dx * image[y1, x1]
                bits.append((1 - dy) * top + dy * bottom >= image[r, c])
            changes = sum(a != b for a, b in zip(bits[:-1], bits[1:]))
            labels.append(sum(bits) if changes <= 2 else n_points + 1)
    return np.array(labels)


@pytest.mark.parametrize(("n_points", "radius"), [(8, 1), (4, 1), (12, 1.5), (8, 2.5)])
def test_lbp_labels_follow_the_definition_pixel_by_pixel(n_points, radius):
    rng = np.random.default_rng(n_points)
    images = [
        rng.integers(0, 256, (13, 17)),
        rng.integers(0, 3, (15, 12)),  # many ties with the centre
        np.add.outer(np.arange(14), 3 * np.arange(16)),  # ramps: exact ties
        np.full((12, 12), 200),
    ]
    for image in images:
        margin = int(np.ceil(radius))
        ours = _uniform_lbp_labels(image.astype(np.uint8), n_points, radius, margin)
        expected = _uniform_lbp_by_the_definition(image, n_points, radius)
        np.testing.assert_array_equal(ours.ravel(), expected)


def test_lbp_labels_equal_scikit_images_on_noise():
    rng = np.random.default_rng(3)
    for n_points, radius in [(8, 1), (16, 2)]:
        image = rng.integers(0, 256, (40, 33)).astype(np.uint8)
        margin = int(np.ceil(radius))
        expected = local_binary_pattern(image, n_points, radius, method="uniform")
        np.testing.assert_array_equal(
            _uniform_lbp_labels(image, n_points, radius, margin),
            expected[margin:-margin, margin:-margin],
        )


def test_lbp_of_flat_images_ramps_and_rotations():
    np.testing.assert_array_equal(lbp_histogram(np.full((12, 12), 5.0))[8], 1.0)
    # More neighbours than a byte counts: all of them still count.
    many = lbp_histogram(np.full((12, 12), 5.0), n_points=300, radius=2)
    assert many[300] == 1.0
    for ramp in (
        np.tile(np.arange(16.0), (16, 1)),
        np.tile(np.arange(16.0), (16, 1)).T,
    ):
        histogram = lbp_histogram(ramp)
        assert histogram[5] == 1.0 and histogram.sum() == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    image = rng.random((30, 30))
    # Rotations by 90 degrees map the 8 neighbours onto each other.
    np.testing.assert_allclose(lbp_histogram(np.rot90(image)), lbp_histogram(image))
    assert lbp_histogram(image, n_points=16, radius=2).shape == (18,)


def test_haralick_of_constant_and_checkerboard_images():
    np.testing.assert_allclose(
        haralick_features(np.full((10, 10), 2.0)), [0, 1, 1, 1] * 2
    )
    checkerboard = (np.indices((20, 20)).sum(axis=0) % 2).astype(float)
    contrast, homogeneity, energy, correlation = haralick_features(
        checkerboard, levels=8, distances=[1]
    )
    # Rows and columns: every pair differs by 7 levels; diagonals: none do.
    assert contrast == pytest.approx(49 / 2)
    assert homogeneity == pytest.approx((1 / 50 + 1) / 2)
    assert correlation == pytest.approx(0.0, abs=1e-9)
    # At distance 2 every pair is equal.
    assert haralick_features(checkerboard, levels=8, distances=[2])[0] == 0


def test_intensity_statistics_of_known_distributions():
    radius, theta = polar(80)
    halves = np.where(np.cos(theta) > 0, 1.0, 0.0)
    np.testing.assert_allclose(
        intensity_statistics(halves), [0.5, 0.5, 0.0, -2.0], atol=0.01
    )
    np.testing.assert_array_equal(
        intensity_statistics(np.full((9, 9), 4.0)), [4, 0, 0, 0]
    )
    # A few dark pixels in a bright disc: negative skewness.
    spots = np.where(radius < 5, 0.0, 1.0)
    assert intensity_statistics(spots)[2] < -2


@pytest.mark.parametrize(
    "function, kwargs, message",
    [
        (ring_profile, {"n_bins": 0}, "n_bins must be a positive integer"),
        (angular_harmonics, {"n_rings": 0}, "n_bins must be a positive integer"),
        (orientation_coherence, {"sigma": -1}, "sigma must be a non-negative"),
        (lbp_histogram, {"radius": 0}, "radius must be a positive number"),
        (haralick_features, {"levels": 1}, "levels must be an integer >= 2"),
        (haralick_features, {"distances": [40]}, "need a cut-out larger"),
        (density_moments, {"background": np.nan}, "background must be finite"),
    ],
)
def test_bad_arguments(function, kwargs, message):
    with pytest.raises(ValueError, match=message):
        function(np.random.default_rng(0).random((20, 20)), **kwargs)


def test_bad_images():
    with pytest.raises(ValueError, match="at least 3 x 3"):
        ring_profile(np.zeros((2, 9)))
    with pytest.raises(ValueError, match="NaN|finite"):
        ring_spread(np.full((9, 9), np.nan))
    with pytest.raises(ValueError, match="at least 5 pixels"):
        lbp_histogram(np.zeros((4, 9)))
