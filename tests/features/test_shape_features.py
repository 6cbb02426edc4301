import numpy as np
import pytest
from skimage.measure import perimeter_crofton

from sklearn_lipnet.features import (
    area,
    circularity,
    diameter,
    maximum_width,
    perimeter,
)

from .._particle_shapes import disk_mask, ellipse_mask

SHAPE_FUNCTIONS = [area, perimeter, circularity, maximum_width, diameter]


@pytest.mark.parametrize("radius", [10, 25, 60])
def test_disk_area_is_pi_r_squared(radius):
    assert area(disk_mask(radius)) == pytest.approx(np.pi * radius**2, rel=0.02)


@pytest.mark.parametrize("radius", [20, 45, 90])
def test_disk_circularity_is_close_to_one(radius):
    assert circularity(disk_mask(radius)) == pytest.approx(1.0, abs=0.035)


@pytest.mark.parametrize("radius", [20, 45, 90])
def test_disk_perimeter_is_two_pi_r(radius):
    assert perimeter(disk_mask(radius)) == pytest.approx(2 * np.pi * radius, rel=0.02)


def test_perimeter_matches_scikit_image_crofton():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.uniform(5, 40), rng.uniform(3, 20)
        mask = ellipse_mask(a, b, angle=rng.uniform(0, np.pi))
        assert perimeter(mask) == pytest.approx(perimeter_crofton(mask, 4))


def _ramanujan_perimeter(a, b):
    return np.pi * (3 * (a + b) - np.sqrt((3 * a + b) * (a + 3 * b)))


@pytest.mark.parametrize("a, b", [(40, 20), (60, 15), (30, 29)])
def test_ellipse_circularity_matches_the_analytic_value(a, b):
    expected = 4 * np.pi * (np.pi * a * b) / _ramanujan_perimeter(a, b) ** 2
    mask = ellipse_mask(a, b, angle=0.3)
    assert circularity(mask) == pytest.approx(expected, rel=0.03)
    assert circularity(mask) < 1.0


def test_ellipse_width_and_diameter_match_its_axes():
    # Random orientations and sub-pixel centres, so no lucky alignment.
    rng = np.random.default_rng(42)
    for _ in range(25):
        a = rng.uniform(10, 90)
        b = rng.uniform(5, a)
        mask = ellipse_mask(
            a,
            b,
            angle=rng.uniform(0, np.pi),
            centre_offset=rng.uniform(-0.5, 0.5, size=2),
        )
        assert maximum_width(mask) == pytest.approx(2 * b, abs=1.5)
        assert diameter(mask) == pytest.approx(2 * a, abs=1.5)


def test_width_and_diameter_are_exact_for_axis_aligned_rectangles():
    mask = np.zeros((30, 40), bool)
    mask[5:15, 5:35] = True  # 10 x 30 pixels
    assert maximum_width(mask) == 10.0
    assert diameter(mask) == pytest.approx(np.hypot(9, 29) + 0.5, abs=0.01)


def test_features_are_rotation_invariant():
    upright = ellipse_mask(40, 15)
    turned = ellipse_mask(40, 15, angle=np.pi / 5)
    for function in SHAPE_FUNCTIONS:
        assert function(turned) == pytest.approx(function(upright), rel=0.04)


def test_particle_touching_the_border_is_measured_as_its_visible_part():
    # The image border counts as outline: a disk cut by the border measures
    # like the same half disk with background around it.
    disk = disk_mask(30, side=81)
    cut = disk[:, 40:]  # the right half, touching the left border
    padded = np.pad(cut, 5)
    for function in SHAPE_FUNCTIONS:
        value = function(cut)
        assert np.isfinite(value)
        assert value == pytest.approx(function(padded))
    assert area(cut) == pytest.approx(area(disk) / 2, rel=0.05)
    assert diameter(cut) == pytest.approx(diameter(disk), abs=1.5)


def test_mask_filling_the_whole_image():
    mask = np.ones((20, 20), bool)
    assert area(mask) == 400
    assert maximum_width(mask) == 20.0
    assert np.isfinite(circularity(mask))


@pytest.mark.parametrize("function", SHAPE_FUNCTIONS)
def test_empty_mask_raises(function):
    with pytest.raises(ValueError, match="mask is empty"):
        function(np.zeros((10, 10), bool))


@pytest.mark.parametrize("function", SHAPE_FUNCTIONS)
def test_mask_must_be_two_dimensional(function):
    with pytest.raises(ValueError, match="2-D"):
        function(np.ones((3, 3, 3), bool))


@pytest.mark.parametrize("function", SHAPE_FUNCTIONS)
def test_mask_must_be_binary(function):
    with pytest.raises(ValueError, match="boolean"):
        function(np.full((5, 5), 2))


def test_zero_one_integer_mask_equals_boolean_mask():
    mask = ellipse_mask(12, 7, angle=1.0)
    for function in SHAPE_FUNCTIONS:
        assert function(mask.astype(np.uint8)) == function(mask)


def test_tiny_masks_give_the_documented_finite_values():
    single = np.zeros((5, 5), bool)
    single[2, 2] = True
    assert area(single) == 1
    assert perimeter(single) == pytest.approx(perimeter_crofton(single, 4))
    assert circularity(single) == pytest.approx(1.75, abs=0.01)
    assert maximum_width(single) == 2.0
    assert diameter(single) == 0.5

    line = np.zeros((5, 12), bool)
    line[2, 1:11] = True  # one pixel wide: the convex hull degenerates
    assert diameter(line) == 9.5
    for mask in (single, line, np.eye(4, dtype=bool)):
        for function in SHAPE_FUNCTIONS:
            assert np.isfinite(function(mask))


def test_mask_with_two_separate_pieces_is_measured_as_one_particle():
    mask = np.zeros((40, 20), bool)
    mask[2:8, 5:15] = True
    mask[30:38, 2:6] = True  # rows between the pieces are empty
    assert area(mask) == 60 + 32
    assert diameter(mask) == pytest.approx(np.hypot(37 - 2, 14 - 2) + 0.5, abs=0.01)
    assert maximum_width(mask) == 6.0
