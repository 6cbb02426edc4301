import math
import warnings

import numpy as np
import pytest
import torch

from sklearn_lipnet import Augmentation
from sklearn_lipnet.neural_network._augmentation import gaussian_blur

from ._bars import tilts, vertical_bars

OFF = dict(
    rotation=0, shear=0, shift=0, zoom=None, horizontal_flip=False, vertical_flip=False
)


def _blob_images(n, side=32, centre=(16, 24), radius=2.5):
    yy, xx = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    # pixel centres are at integer + 0.5 in continuous coordinates
    distance = torch.hypot(yy + 0.5 - centre[0], xx + 0.5 - centre[1])
    image = (distance <= radius).float()
    return image.expand(n, 1, side, side).clone()


def _centroids(images):
    side = images.shape[-1]
    coords = torch.arange(side, dtype=torch.float32) + 0.5
    mass = images.sum(dim=(1, 2, 3))
    cy = (images.sum(dim=(1, 3)) * coords).sum(1) / mass
    cx = (images.sum(dim=(1, 2)) * coords).sum(1) / mass
    return cy, cx


def test_thesis_defaults():
    aug = Augmentation()
    assert (aug.rotation, aug.shear, aug.shift, aug.zoom) == (180, 0.2, 0.1, (0.8, 1.0))
    assert aug.horizontal_flip and aug.vertical_flip


@pytest.mark.parametrize(
    "param, expected",
    [(True, Augmentation()), (False, None), (None, None), (OFF, None)],
)
def test_from_param(param, expected):
    assert Augmentation.from_param(param) == expected


def test_from_param_dict_overrides_defaults():
    aug = Augmentation.from_param({"rotation": 90, "zoom": None})
    assert aug.rotation == 90 and aug.zoom is None and aug.shear == 0.2


@pytest.mark.parametrize(
    "param, match",
    [
        ({"spin": 3}, "augment has unknown transformations"),
        ({"rotation": -5}, "augment.rotation must be a finite number"),
        ({"shear": math.inf}, "augment.shear must be a finite number"),
        ({"zoom": (1.2, 0.8)}, r"augment.zoom must satisfy 0 < low <= high"),
        ({"zoom": (0, 1)}, "augment.zoom must satisfy 0 < low <= high"),
        ({"zoom": (0.8, math.inf)}, "augment.zoom must satisfy 0 < low <= high"),
        ({"zoom": 0.5}, r"augment.zoom must be None or a \(low, high\) pair"),
        ({"noise": -0.1}, "augment.noise must be a finite number >= 0"),
        ({"blur": math.inf}, "augment.blur must be a finite number >= 0"),
        ({"blur": "1"}, "augment.blur must be a finite number >= 0"),
        ("yes", "augment must be True, False"),
    ],
)
def test_bad_augmentation_is_refused(param, match):
    with pytest.raises(ValueError, match=match):
        Augmentation.from_param(param)


@pytest.mark.parametrize("zoom", [(0.5, 1.0), (0.9, 0.9), (1.0, 1.3)])
def test_zoom_ranges_that_are_accepted(zoom):
    assert Augmentation.from_param({"zoom": zoom}).zoom == zoom


def test_to_dict_gives_every_setting():
    assert Augmentation(rotation=90, zoom=None).to_dict() == {
        "rotation": 90,
        "shear": 0.2,
        "shift": 0.1,
        "zoom": None,
        "horizontal_flip": True,
        "vertical_flip": True,
        "blur": 0,
        "noise": 0,
    }


def test_all_switched_off_is_the_identity():
    images = torch.rand(5, 1, 12, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a word from torch
        out = Augmentation(**OFF)(images, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, images, atol=1e-5, rtol=0)


def test_flips_mirror_exactly_and_happen_about_half_the_time():
    images = torch.rand(200, 1, 10, 10)
    aug = Augmentation(**{**OFF, "horizontal_flip": True})
    out = aug(images, torch.Generator().manual_seed(0))
    same = torch.isclose(out, images, atol=1e-5).flatten(1).all(1)
    mirrored = torch.isclose(out, images.flip(-1), atol=1e-5).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 70 < int(mirrored.sum()) < 130


def test_rotation_keeps_the_distance_from_the_centre():
    images = _blob_images(64)
    out = Augmentation(**{**OFF, "rotation": 180})(
        images, torch.Generator().manual_seed(1)
    )
    cy, cx = _centroids(out)
    radius = torch.hypot(cy - 16, cx - 16)
    assert torch.allclose(radius, torch.full_like(radius, 8.0), atol=0.5)
    angles = torch.atan2(cy - 16, cx - 16)
    assert float(angles.max() - angles.min()) > 5  # spread over the circle


def test_shift_is_bounded_by_the_fraction_of_the_side():
    images = _blob_images(100, centre=(16, 16))
    out = Augmentation(**{**OFF, "shift": 0.1})(
        images, torch.Generator().manual_seed(2)
    )
    cy, cx = _centroids(out)
    assert float((cy - 16).abs().max()) <= 3.2 + 0.3
    assert float((cx - 16).abs().max()) <= 3.2 + 0.3
    assert float((cx - 16).abs().max()) > 2.0


def test_zoom_magnifies_by_at_most_the_inverse_of_the_low_end():
    images = _blob_images(100, centre=(16, 16), radius=6)
    out = Augmentation(**{**OFF, "zoom": (0.8, 1.0)})(
        images, torch.Generator().manual_seed(3)
    )
    growth = out.sum(dim=(1, 2, 3)) / images.sum(dim=(1, 2, 3))
    assert float(growth.min()) > 0.95
    assert float(growth.max()) < 1.5625 * 1.08
    assert float(growth.max()) > 1.3


def test_shear_tilts_a_vertical_bar_by_atan_of_the_drawn_shear():
    X, _ = vertical_bars(200, side=32)
    images = torch.from_numpy(X).view(-1, 1, 32, 32)
    out = Augmentation(**{**OFF, "shear": 0.3})(
        images, torch.Generator().manual_seed(4)
    )
    # A shear s moves row y sideways by s * y: the bar tilts by atan(s),
    # with s drawn uniformly from [-0.3, 0.3].
    tangents = np.sort(np.tan(tilts(out)))
    uniform = np.linspace(-0.3, 0.3, len(tangents) + 1)[:-1] + 0.3 / len(tangents)
    assert np.abs(tangents).max() <= 0.3 + 0.005
    assert np.abs(tangents - uniform).max() < 0.06
    # Each row only moves sideways, keeping its intensity: sheared, not
    # rotated or zoomed.
    torch.testing.assert_close(out.sum(dim=-1), images.sum(dim=-1), atol=1e-4, rtol=0)


def _correlation(a, b):
    return float(np.corrcoef(a.double().numpy(), b.double().numpy())[0, 1])


def test_transformations_are_drawn_independently_within_their_ranges():
    generator = torch.Generator().manual_seed(6)
    n = 4000
    # Rotation, shear and shift: theta = [R(angle) S(shear) | shift].
    theta = Augmentation(**{**OFF, "rotation": 90, "shear": 0.3, "shift": 0.1})
    theta = theta.random_matrices(n, generator, "cpu")
    angle = torch.atan2(theta[:, 1, 0], theta[:, 0, 0])
    shear = (theta[:, 0, 1] + torch.sin(angle)) / torch.cos(angle)
    shift_x, shift_y = theta[:, 0, 2], theta[:, 1, 2]
    drawn = {
        "angle": (angle, math.pi / 2),
        "shear": (shear, 0.3),
        "shift_x": (shift_x, 0.2),  # affine_grid spans [-1, 1]
        "shift_y": (shift_y, 0.2),
    }
    # Zoom, shift and flips: theta = [diag(scale * flip) | shift].
    zoom_and_flips = {
        "zoom": (0.8, 1.0),
        "horizontal_flip": True,
        "vertical_flip": True,
    }
    theta = Augmentation(**{**OFF, "shift": 0.1, **zoom_and_flips})
    theta = theta.random_matrices(n, generator, "cpu")
    scale = theta[:, 1, 1].abs()
    flip_x, flip_y = torch.sign(theta[:, 0, 0]), torch.sign(theta[:, 1, 1])
    assert float((scale - 0.9).abs().max()) <= 0.1 + 1e-6
    assert 0.45 < float((flip_x < 0).double().mean()) < 0.55
    assert 0.45 < float((flip_y < 0).double().mean()) < 0.55
    for name, (values, bound) in drawn.items():
        assert float(values.abs().max()) <= bound + 1e-5, name
        assert float(values.abs().max()) > 0.95 * bound, name
    pairs = [
        (angle, shear),
        (shear, shift_x),
        (shift_x, shift_y),
        (theta[:, 1, 2], scale),
        (scale, flip_x),
        (flip_x, flip_y),
    ]
    for first, second in pairs:
        assert abs(_correlation(first, second)) < 0.1


def test_both_flips_combine_freely():
    images = torch.rand(400, 1, 9, 9)
    aug = Augmentation(**{**OFF, "horizontal_flip": True, "vertical_flip": True})
    out = aug(images, torch.Generator().manual_seed(7))
    kinds = {
        "none": images,
        "left-right": images.flip(-1),
        "top-bottom": images.flip(-2),
        "both": images.flip(-1).flip(-2),
    }
    matches = {
        kind: torch.isclose(out, expected, atol=1e-5).flatten(1).all(1)
        for kind, expected in kinds.items()
    }
    assert bool(torch.stack(list(matches.values())).any(0).all())
    for kind, match in matches.items():
        assert 70 < int(match.sum()) < 130, kind


def test_same_generator_seed_same_batch():
    images = torch.rand(8, 1, 16, 16)
    first = Augmentation()(images, torch.Generator().manual_seed(5))
    second = Augmentation()(images, torch.Generator().manual_seed(5))
    assert torch.equal(first, second)
    assert not torch.allclose(first, images)


def test_repr_is_evaluable():
    aug = Augmentation(rotation=90, zoom=None)
    assert eval(repr(aug), {"Augmentation": Augmentation}) == aug
    assert np.isclose(aug.rotation, 90)


def test_blur_spreads_a_point_into_a_gaussian_of_the_given_width():
    side, centre = 41, 20
    point = torch.zeros(3, 2, side, side)
    point[:, :, centre, centre] = 1
    sigma = torch.tensor([0.0, 1.0, 2.0])
    out = gaussian_blur(point, sigma, radius=6)
    torch.testing.assert_close(out[0], point[0], rtol=0, atol=0)
    offsets = (torch.arange(side) - centre).double() ** 2
    for image, width in zip(out[1:], sigma[1:]):
        for channel in image:
            weights = channel.double()
            assert abs(float(weights.sum()) - 1) < 1e-5  # no weight lost
            # Variance along each axis: sigma squared (the kernel, cut at
            # three sigma, keeps 97 % of it at least).
            rows = float((weights.sum(1) * offsets).sum())
            cols = float((weights.sum(0) * offsets).sum())
            for variance in (rows, cols):
                assert 0.97 * width**2 <= variance <= 1.001 * width**2


def test_blur_repeats_the_border_pixels():
    # A constant image stays constant: the border is padded with itself.
    image = torch.full((2, 1, 9, 9), 3.0)
    out = gaussian_blur(image, torch.tensor([1.5, 0.7]), radius=5)
    torch.testing.assert_close(out, image)


def _assert_uniform_on(levels, high, tolerance):
    """``levels`` look drawn uniformly from ``[0, high]``: inside it, reaching
    nearly to its top, with the mean in its middle."""
    assert float(levels.min()) >= 0 and float(levels.max()) <= high
    assert float(levels.max()) > 0.98 * high
    assert abs(float(levels.mean()) - high / 2) < tolerance


def test_noise_has_the_drawn_standard_deviation():
    generator = torch.Generator().manual_seed(8)
    aug = Augmentation(**{**OFF, "noise": 0.5})
    images = torch.full((300, 1, 32, 32), 2.0)
    draw = aug.draw(len(images), generator, "cpu")
    assert draw.blur is None
    _assert_uniform_on(draw.noise, 0.5, tolerance=0.03)
    out = aug.apply(images, draw, generator)
    spread = (out - images).flatten(1).std(1)
    torch.testing.assert_close(spread, draw.noise, rtol=0.08, atol=0.01)
    assert abs(float((out - images).mean())) < 0.01


def test_blur_levels_are_drawn_per_image():
    generator = torch.Generator().manual_seed(9)
    aug = Augmentation(**{**OFF, "blur": 1.5})
    images = torch.zeros(400, 1, 21, 21)
    images[:, :, 10, 10] = 1
    draw = aug.draw(len(images), generator, "cpu")
    assert draw.noise is None
    _assert_uniform_on(draw.blur, 1.5, tolerance=0.06)
    out = aug.apply(images, draw, generator)
    # Each image is blurred by its own level: the sharper, the higher its peak.
    peaks = out[:, 0, 10, 10]
    assert float(torch.corrcoef(torch.stack([peaks, draw.blur]))[0, 1]) < -0.8


def test_blur_and_noise_leave_the_geometric_draws_as_they_were():
    # Switching them on must not change the rotations, shifts, ... drawn
    # for the same seed (models trained without them stay reproducible).
    plain = Augmentation().draw(50, torch.Generator().manual_seed(3), "cpu")
    both = Augmentation(blur=1, noise=0.5).draw(
        50, torch.Generator().manual_seed(3), "cpu"
    )
    torch.testing.assert_close(plain.theta, both.theta, rtol=0, atol=0)
    assert plain.blur is None and plain.noise is None


def test_blur_or_noise_alone_is_not_the_identity():
    assert not Augmentation(**{**OFF, "noise": 0.1}).is_identity
    assert not Augmentation(**{**OFF, "blur": 0.1}).is_identity
    assert Augmentation.from_param({**OFF, "blur": 0, "noise": 0}) is None
