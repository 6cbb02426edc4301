import numpy as np
import pytest
from scipy.signal import find_peaks

from sklearn_lipnet.features import (
    edge_density_profile,
    radial_density_profile,
    signal_to_noise,
)

from .._particle_shapes import disk_mask, radius_map

PROFILE_FUNCTIONS = [radial_density_profile, edge_density_profile, signal_to_noise]


def _concentric_rings(side, radii, half_width=1.5):
    """Bright one-to-three-pixel rings at ``radii`` on a dark image."""
    radius = radius_map((side, side))
    image = np.zeros((side, side))
    for r in radii:
        image[np.abs(radius - r) <= half_width] = 1.0
    return image


def test_radial_profile_of_concentric_rings_peaks_at_their_radii():
    side, particle_radius, n_bins = 121, 50, 25
    radii = [12, 27, 41]
    image = _concentric_rings(side, radii)
    mask = disk_mask(particle_radius, side=side)
    profile = radial_density_profile(image, mask, n_bins=n_bins)
    peaks, _ = find_peaks(profile, height=0.5)
    # Bin i spans radii [i, i + 1) * r_max / n_bins, here 2 pixels wide.
    bin_width = particle_radius / n_bins
    np.testing.assert_allclose((peaks + 0.5) * bin_width, radii, atol=bin_width)


def test_radial_profile_resamples_particles_of_any_size_alike():
    # Rings at 55 % of the radius: the middle of bin 5 of 10.
    small = radial_density_profile(
        _concentric_rings(61, [11]), disk_mask(20, side=61), n_bins=10
    )
    large = radial_density_profile(
        _concentric_rings(181, [44], half_width=3), disk_mask(80, side=181), n_bins=10
    )
    assert small.argmax() == large.argmax() == 5


def test_edge_profile_of_concentric_rings_peaks_at_their_depths():
    side, particle_radius = 121, 50
    depths = [2, 9, 20]  # from the outline inward
    image = _concentric_rings(side, [particle_radius + 0.5 - d for d in depths], 1.0)
    mask = disk_mask(particle_radius, side=side)
    profile = edge_density_profile(image, mask, n_bins=25, depth=25)
    peaks, _ = find_peaks(np.r_[0, profile], height=0.5)  # index 0 may peak
    np.testing.assert_allclose(peaks - 1 + 0.5, depths, atol=1.0)


def test_edge_profile_without_depth_is_relative_to_the_particle():
    # A membrane 10 % of the radius thick lands in the same bins whatever
    # the size.
    for radius in (20, 80):
        side = 2 * radius + 11
        image = (radius_map((side, side)) > 0.9 * radius).astype(float)
        profile = edge_density_profile(image, disk_mask(radius, side=side), n_bins=10)
        assert profile[0] > 0.9
        assert profile[2:].max() < 0.1


def test_edge_profile_beyond_a_small_particle_repeats_its_deepest_value():
    side = 31
    image = radius_map((side, side))  # intensity grows outward
    profile = edge_density_profile(image, disk_mask(5, side=side), n_bins=20, depth=20)
    assert np.isfinite(profile).all()
    deepest = np.flatnonzero(np.diff(profile))[-1] + 1
    assert deepest < 8
    np.testing.assert_array_equal(profile[deepest:], profile[deepest])
    assert np.all(np.diff(profile[: deepest + 1]) < 0)


def test_constant_image_gives_flat_profiles_and_zero_signal_to_noise():
    mask = disk_mask(30)
    image = np.full(mask.shape, 0.25)
    np.testing.assert_allclose(radial_density_profile(image, mask), 0.25)
    np.testing.assert_allclose(edge_density_profile(image, mask), 0.25)
    np.testing.assert_allclose(edge_density_profile(image, mask, depth=5), 0.25)
    assert signal_to_noise(image, mask) == 0.0


def test_signal_to_noise_separates_clean_membranes_from_noise():
    rng = np.random.default_rng(0)
    side, radius = 101, 40
    mask = disk_mask(radius, side=side)
    # A smooth dark-light bilayer-like ring four pixels inside the outline.
    membrane = np.exp(-(((radius_map(mask.shape) - (radius - 4)) / 2) ** 2))
    noise = rng.normal(0, 1, mask.shape)
    assert signal_to_noise(membrane, mask) > 0.9
    assert signal_to_noise(noise, mask) < 0.1
    assert 0.2 < signal_to_noise(membrane + 0.3 * noise, mask) < 0.9


def test_signal_to_noise_is_a_fraction():
    rng = np.random.default_rng(1)
    mask = disk_mask(25)
    for _ in range(10):
        value = signal_to_noise(rng.random(mask.shape), mask, band_width=6)
        assert 0.0 <= value <= 1.0


@pytest.mark.parametrize("side", [1, 2, 3])
def test_tiny_masks_give_finite_profiles(side):
    mask = np.zeros((7, 7), bool)
    mask[2 : 2 + side, 2 : 2 + side] = True
    image = np.random.default_rng(side).random((7, 7))
    assert np.isfinite(radial_density_profile(image, mask, n_bins=16)).all()
    assert np.isfinite(edge_density_profile(image, mask, n_bins=16)).all()
    assert np.isfinite(edge_density_profile(image, mask, n_bins=16, depth=10)).all()
    assert 0.0 <= signal_to_noise(image, mask) <= 1.0


def test_particle_touching_the_border_gives_finite_profiles():
    image = np.random.default_rng(2).random((60, 60))
    mask = disk_mask(30, side=60)  # reaches all four borders
    for function in PROFILE_FUNCTIONS:
        assert np.isfinite(function(image, mask)).all()


@pytest.mark.parametrize("function", PROFILE_FUNCTIONS)
def test_nan_inside_the_mask_raises(function):
    image = np.ones((20, 20))
    image[10, 10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        function(image, np.ones((20, 20), bool))


@pytest.mark.parametrize("function", PROFILE_FUNCTIONS)
def test_empty_mask_raises(function):
    with pytest.raises(ValueError, match="mask is empty"):
        function(np.ones((10, 10)), np.zeros((10, 10), bool))


@pytest.mark.parametrize("depth", [0, 0.5, -1.0, np.nan, "deep", True])
def test_bad_depth_and_band_width_raise(depth):
    mask = disk_mask(5)
    with pytest.raises(ValueError, match="depth must be None or a number of pixels"):
        edge_density_profile(np.ones(mask.shape), mask, depth=depth)
    with pytest.raises(ValueError, match="band_width must be None or a number"):
        signal_to_noise(np.ones(mask.shape), mask, band_width=depth)
