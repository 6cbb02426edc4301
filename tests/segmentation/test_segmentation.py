import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.segmentation._particle import (
    _outer_radii,
    _segment,
    segment_particle,
)


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def ring_image(shape=(140, 160), centre=None, radius=35, noise=6.0, seed=0):
    rows, cols = np.indices(shape, dtype=float)
    if centre is None:
        centre = ((shape[0] - 1) / 2, (shape[1] - 1) / 2)
    distance = np.hypot(rows - centre[0], cols - centre[1])
    image = 120.0 - 45 * (np.abs(distance - radius) < 1.5)
    image += np.random.default_rng(seed).normal(0, noise, shape)
    return image, distance <= radius + 1.5


@pytest.mark.parametrize("problem", ["lamellarity", "encapsulation"])
@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_clean_liposomes_overlap_true_mask(problem, noise):
    # "Clean": every class but "uncertain" (which has overlaps, ice, film).
    table, _ = make_liposomes(
        12, problem=problem, weights=[1, 1, 0], noise=noise, random_state=11
    )
    scores = [
        iou(segment_particle(image), mask)
        for image, mask in zip(table["image"], table["mask"])
    ]
    assert min(scores) > 0.8
    assert np.median(scores) > 0.95


def test_multilamellar_mask_follows_the_outer_lamella():
    table, y = make_liposomes(8, weights=[0, 1, 0], noise=0.5, random_state=2)
    for image, mask in zip(table["image"], table["mask"]):
        found = segment_particle(image)
        # Stopping at an inner lamella would leave a band of the true mask out.
        assert found.sum() > 0.9 * mask.sum()
        assert iou(found, mask) > 0.85


def test_ring_with_neighbour_in_the_surrounding():
    image, truth = ring_image()
    neighbour, _ = ring_image(centre=(10, 150), radius=30, noise=0, seed=1)
    image = np.minimum(image, neighbour)
    assert iou(segment_particle(image), truth) > 0.9


def test_integer_images_match_float_images():
    image, truth = ring_image()
    as_uint8 = np.clip(image, 0, 255).astype(np.uint8)
    mask_uint8 = segment_particle(as_uint8)
    mask_uint16 = segment_particle(as_uint8.astype(np.uint16) * 257)
    assert mask_uint8.dtype == bool and mask_uint8.shape == image.shape
    np.testing.assert_array_equal(mask_uint8, mask_uint16)
    assert iou(mask_uint8, truth) > 0.9


def test_blank_image_gives_nonempty_mask_and_reports_not_found():
    blank = np.full((64, 64), 7.0)
    mask, found = _segment(blank)
    assert not found
    assert mask.any() and mask.shape == blank.shape
    noise_only = np.random.default_rng(0).normal(100, 5, (64, 64))
    mask, found = _segment(noise_only)
    assert mask.any()


def test_segmentation_is_deterministic():
    image, _ = ring_image()
    np.testing.assert_array_equal(segment_particle(image), segment_particle(image))


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros((3, 20, 20)), np.zeros(50)])
def test_bad_shapes_raise(bad):
    with pytest.raises(ValueError, match="2-D image of at least 8 x 8"):
        segment_particle(bad)


def test_sets_touching_across_the_seam_are_one_set():
    on = np.zeros((6, 10), dtype=bool)
    on[:2, 5] = True  # first rays, radius 5
    on[-2:, 6] = True  # last rays, radius 6: touches the first set diagonally
    on[-2:, 9] = True  # last rays, radius 9: touches nothing
    outer = _outer_radii(on)
    assert outer.tolist() == [[5, 5, -1, -1, 6, 6], [-1, -1, -1, -1, 9, 9]]


def test_images_too_small_to_segment_are_named():
    import pandas as pd

    from sklearn_lipnet.segmentation import particle_masks

    table = pd.DataFrame(
        {"id": ["big", "tiny"], "image": [np.ones((20, 20)), np.ones((5, 30))]}
    )
    with pytest.raises(ValueError, match=r"8 x 8 pixels.*particle 'tiny'"):
        particle_masks(table)


def test_particle_features_name_the_images_too_small_to_segment():
    from sklearn_lipnet import ParticleFeatures

    table = pd.DataFrame(
        {"image": [np.zeros((40, 40)), np.zeros((5, 40))], "id": ["ok", "tiny"]}
    )
    with pytest.raises(ValueError, match="8 x 8 pixels.*particle 'tiny'"):
        ParticleFeatures("thesis").fit(table).transform(table)


def test_half_resolution_band_pass_equals_the_full_difference_of_gaussians():
    from scipy import ndimage as ndi

    from sklearn_lipnet.segmentation._filters import membrane_darkness

    rng = np.random.default_rng(0)
    for shape, sigma in [((140, 160), 1.0), ((95, 96), 1.5), ((201, 150), 2.0)]:
        image, _ = ring_image(shape, radius=30, seed=int(rng.integers(100)))
        # A slowly varying background (ice thickness) that the band-pass removes.
        image = image + np.linspace(0, 60, shape[1])[None, :]
        image = image.astype(np.float32)
        full = ndi.gaussian_filter(image, 4 * sigma) - ndi.gaussian_filter(image, sigma)
        found = membrane_darkness(image, sigma)
        # Same unit and offset: compare after putting the full one in noise units.
        slope, offset = np.polyfit(full.ravel(), found.ravel(), 1)
        residual = found - (slope * full + offset)
        # In noise units, where the membrane is above 15 and the threshold
        # 1.75: a fraction of the noise, most at the image's edges.
        assert found.max() > 15
        assert residual.std() < 0.06
        assert np.abs(residual).max() < 0.5


@pytest.mark.parametrize("noise", [6.0, 3.0, 0.0])
def test_band_pass_unit_is_the_border_noise_or_a_twentieth_of_the_strongest_line(
    noise, monkeypatch
):
    from scipy import ndimage as ndi

    from sklearn_lipnet.segmentation import _filters

    image, _ = ring_image(noise=noise, seed=3)
    image = image.astype(np.float32)
    sorts = []
    percentile_of = _filters.percentile_of

    def counted(values, q):
        sorts.append(q)
        return percentile_of(values, q)

    monkeypatch.setattr(_filters, "percentile_of", counted)
    found = _filters.membrane_darkness(image, 1.0)

    # The plain definition: the band-pass less its border median, in units
    # of the border's scaled MAD, but of at least 5 % of the 99.9th
    # percentile of its magnitude. (The half-resolution band-pass itself is
    # checked against the full difference of Gaussians above.)
    sigma = 1.0
    fine = ndi.gaussian_filter(image, sigma)
    wide = ndi.gaussian_filter(fine[::2, ::2], np.sqrt(15.0) * sigma / 2)
    dog = _filters._enlarge_twice(wide, image.shape) - fine
    band = min(image.shape) // 10
    border = np.concatenate(
        [
            dog[:band].ravel(),
            dog[-band:].ravel(),
            dog[band:-band, :band].ravel(),
            dog[band:-band, -band:].ravel(),
        ]
    )
    median = np.median(border)
    noise_unit = 1.4826 * np.median(np.abs(border - median))
    line_unit = 0.05 * np.percentile(np.abs(dog - median), 99.9)
    expected = (dog - median) / max(noise_unit, line_unit)
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-5)
    # The percentile (a partial sort of every pixel) is only computed where
    # it could matter: not in noisy cut-outs, where the ring is within 20
    # noise units.
    if noise == 6.0:
        assert noise_unit > line_unit
        assert sorts == []
    else:
        assert line_unit > noise_unit
        assert sorts == [99.9]
