import numpy as np
import pytest
from skimage.measure import moments_central

from sklearn_lipnet.features import (
    central_moments,
    intensity_histogram,
    internal_variance,
    normalize_intensity,
)

from .._particle_shapes import disk_mask, ellipse_mask

IMAGE_FUNCTIONS = [intensity_histogram, central_moments, internal_variance]


def _noisy_uint8(shape=(40, 50), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


# normalize_intensity ------------------------------------------------------


def test_8_bit_16_bit_and_float_images_normalise_identically():
    image8 = _noisy_uint8()
    image16 = image8.astype(np.uint16) * 257
    image_float = image8 / 255.0
    reference = normalize_intensity(image8)
    np.testing.assert_allclose(normalize_intensity(image16), reference, atol=1e-12)
    np.testing.assert_allclose(normalize_intensity(image_float), reference, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32])
def test_percentile_range_equals_numpy_percentiles(dtype):
    rng = np.random.default_rng(7)
    high = min(np.iinfo(dtype).max if np.dtype(dtype).kind in "ui" else 1000, 60000)
    for shape in [(1, 1), (2, 3), (37, 53), (150, 149)]:
        image = rng.integers(0, high, shape).astype(dtype)
        low_value, high_value = np.percentile(image, [1, 99])
        if high_value == low_value:
            expected = np.full(shape, 0.5)
        else:
            expected = np.clip((image - low_value) / (high_value - low_value), 0, 1)
        np.testing.assert_allclose(normalize_intensity(image), expected, atol=1e-12)


def test_percentile_range_clips_outliers():
    image = np.tile(np.linspace(0.0, 1.0, 100), (10, 1))
    image[0, 0] = 1e6  # a hot pixel must not squash everything else
    normalized = normalize_intensity(image)
    assert normalized.min() == 0.0 and normalized.max() == 1.0
    assert np.median(normalized) == pytest.approx(0.5, abs=0.02)


def test_dtype_and_fixed_ranges():
    image8 = np.array([[0, 51], [204, 255]], dtype=np.uint8)
    np.testing.assert_allclose(
        normalize_intensity(image8, "dtype"), [[0.0, 0.2], [0.8, 1.0]]
    )
    np.testing.assert_allclose(
        normalize_intensity(np.array([[-1.0, 0.5, 2.0]]), "dtype"), [[0.0, 0.5, 1.0]]
    )
    np.testing.assert_allclose(
        normalize_intensity(np.array([[10.0, 20.0, 30.0]]), (10, 30)),
        [[0.0, 0.5, 1.0]],
    )


def test_constant_image_normalises_to_one_half():
    for image in (np.full((8, 8), 3, np.uint16), np.zeros((8, 8))):
        np.testing.assert_array_equal(normalize_intensity(image), 0.5)


def test_unknown_intensity_range_raises():
    with pytest.raises(ValueError, match="intensity_range"):
        normalize_intensity(np.zeros((3, 3)), "minmax")


# intensity_histogram ------------------------------------------------------


def test_histogram_matches_numpy_and_sums_to_one():
    rng = np.random.default_rng(1)
    image = rng.random((60, 60))
    mask = disk_mask(25, side=60)
    histogram = intensity_histogram(image, mask, n_bins=32)
    expected, _ = np.histogram(image[mask], bins=32, range=(0, 1))
    np.testing.assert_allclose(histogram, expected / mask.sum())
    assert histogram.sum() == pytest.approx(1.0)


def test_histogram_only_counts_pixels_inside_the_mask():
    image = np.zeros((10, 10))
    image[:, 5:] = 1.0
    mask = np.zeros((10, 10), bool)
    mask[:, :5] = True
    np.testing.assert_array_equal(intensity_histogram(image, mask, n_bins=2), [1, 0])


def test_histogram_puts_out_of_range_values_in_the_end_bins():
    image = np.array([[-5.0, 0.0, 1.0, 7.0]])
    histogram = intensity_histogram(image, np.ones_like(image, bool), n_bins=4)
    np.testing.assert_array_equal(histogram, [0.5, 0, 0, 0.5])


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True, "32"])
def test_histogram_rejects_bad_bin_counts(n_bins):
    with pytest.raises(ValueError, match="n_bins"):
        intensity_histogram(np.zeros((4, 4)), np.ones((4, 4), bool), n_bins=n_bins)


def test_histogram_rejects_an_empty_value_range():
    with pytest.raises(ValueError, match="value_range"):
        intensity_histogram(
            np.zeros((4, 4)), np.ones((4, 4), bool), value_range=(1.0, 1.0)
        )


# central_moments ----------------------------------------------------------


def test_uniform_disk_moments():
    disk = disk_mask(40)
    np.testing.assert_allclose(
        central_moments(disk, disk), [1 / (4 * np.pi)] * 2 + [0, 0], atol=2e-4
    )


@pytest.mark.parametrize("a, b", [(40, 20), (15, 45)])
def test_uniform_ellipse_moments_follow_its_axes(a, b):
    mask = ellipse_mask(a, b)
    mu20, mu02, mu30, mu03 = central_moments(mask, mask)
    assert mu20 == pytest.approx(a / (4 * np.pi * b), rel=0.02)
    assert mu02 == pytest.approx(b / (4 * np.pi * a), rel=0.02)
    assert mu30 == pytest.approx(0, abs=1e-9)
    assert mu03 == pytest.approx(0, abs=1e-9)


def test_moments_agree_with_scikit_image():
    rng = np.random.default_rng(3)
    mask = ellipse_mask(30, 18, angle=0.7)
    image = rng.random(mask.shape)
    weighted = np.where(mask, image, 0.0)
    # scikit-image indexes moments (row order, column order) = (q, p).
    mu = moments_central(weighted, order=3)
    area = mask.sum()
    expected = [
        mu[0, 2] / (mu[0, 0] * area),
        mu[2, 0] / (mu[0, 0] * area),
        mu[0, 3] / (mu[0, 0] * area**1.5),
        mu[3, 0] / (mu[0, 0] * area**1.5),
    ]
    np.testing.assert_allclose(central_moments(image, mask), expected, rtol=1e-9)


def test_moments_are_invariant_to_size_and_intensity_scale():
    small, large = disk_mask(20), disk_mask(60)
    half_small = np.where(np.arange(small.shape[1]) < small.shape[1] // 2, 1.0, 0.2)
    half_large = np.where(np.arange(large.shape[1]) < large.shape[1] // 2, 1.0, 0.2)
    image_small = np.broadcast_to(half_small, small.shape)
    image_large = np.broadcast_to(half_large, large.shape)
    np.testing.assert_allclose(
        central_moments(image_small, small),
        central_moments(image_large, large),
        atol=3e-3,
    )
    np.testing.assert_allclose(
        central_moments(5 * image_small, small),
        central_moments(image_small, small),
        atol=1e-12,
    )


def test_third_order_moments_see_left_right_asymmetry():
    disk = disk_mask(30)
    # Heavier on the right: the centroid moves right and mu30 turns negative
    # (the long tail points left).
    weights = np.where(np.arange(disk.shape[1]) > disk.shape[1] // 2, 1.0, 0.1)
    mu20, mu02, mu30, mu03 = central_moments(np.broadcast_to(weights, disk.shape), disk)
    assert mu30 < -1e-3
    assert mu03 == pytest.approx(0, abs=1e-9)


def test_moments_with_all_zero_weights_fall_back_to_the_mask():
    mask = ellipse_mask(20, 10)
    np.testing.assert_allclose(
        central_moments(np.zeros(mask.shape), mask), central_moments(mask, mask)
    )


def test_moments_reject_negative_weights():
    mask = disk_mask(5)
    with pytest.raises(ValueError, match="non-negative"):
        central_moments(-np.ones(mask.shape), mask)


# internal_variance --------------------------------------------------------


def test_constant_image_has_zero_internal_variance():
    mask = disk_mask(20)
    for value in (0.0, 0.3, 1e9):
        assert internal_variance(np.full(mask.shape, value), mask) == 0.0


def test_internal_variance_is_the_variance_inside_the_mask():
    rng = np.random.default_rng(5)
    image = rng.normal(size=(50, 50))
    mask = disk_mask(20, side=50)
    image[~mask] = 1e6  # the surrounding must not count
    assert internal_variance(image, mask) == pytest.approx(np.var(image[mask]))


# bad input common to all ---------------------------------------------------


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_nan_inside_the_mask_raises(function):
    image = np.ones((10, 10))
    image[5, 5] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite pixel"):
        function(image, np.ones((10, 10), bool))


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_nan_outside_the_mask_is_ignored(function):
    image = np.ones((10, 10))
    image[0, 0] = np.nan
    mask = np.zeros((10, 10), bool)
    mask[3:7, 3:7] = True
    assert np.isfinite(function(image, mask)).all()


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_empty_mask_raises(function):
    with pytest.raises(ValueError, match="mask is empty"):
        function(np.ones((10, 10)), np.zeros((10, 10), bool))


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_image_and_mask_shapes_must_match(function):
    with pytest.raises(ValueError, match=r"mask shape \(10, 11\) differs from image"):
        function(np.ones((10, 10)), np.ones((10, 11), bool))


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_single_pixel_mask_gives_finite_values(function):
    mask = np.zeros((5, 5), bool)
    mask[2, 2] = True
    assert np.isfinite(function(np.random.default_rng(0).random((5, 5)), mask)).all()
