"""The known-answer task and the localisation score."""

import numpy as np
import pytest

from sklearn_lipnet.inspection import SPOT_CLASSES, localisation_score, make_spot_images


def test_the_class_spot_lies_in_the_top_left_quadrant():
    X, y, centres = make_spot_images(2000, side=28, random_state=0)
    images = X.reshape(-1, 28, 28)
    assert X.dtype == np.float32 and X.shape == (2000, 784)
    assert (y[::2] == SPOT_CLASSES[0]).all() and (y[1::2] == SPOT_CLASSES[1]).all()
    spot = y == "spot"
    assert np.isnan(centres[~spot]).all()
    # the whole spot (2 sigma around its centre) stays inside the quadrant
    assert (centres[spot] >= 3).all() and (centres[spot] <= 10).all()
    # the class changes the top-left quadrant and nothing else
    mean = {c: images[y == c].mean(axis=0) for c in SPOT_CLASSES}
    difference = mean["spot"] - mean["no spot"]
    assert difference[:14, :14].max() > 0.5
    outside = np.ones((28, 28), dtype=bool)
    outside[:14, :14] = False
    # (the difference of two means of 1000 unit-noise images: sd 0.045)
    assert np.abs(difference[outside]).max() < 0.25
    rows, cols = centres[0].round().astype(int)
    assert images[0, rows, cols] > 1.0  # peak 3 on unit noise


def test_distractors_put_an_unrelated_spot_elsewhere():
    X, y, _ = make_spot_images(400, distractor=True, random_state=0)
    images = X.reshape(-1, 28, 28)
    top_left = images[:, :14, :14].mean(axis=(1, 2))
    rest = images.mean(axis=(1, 2)) * 4 / 3 - top_left / 3
    # both classes carry a spot outside the quadrant...
    for label in SPOT_CLASSES:
        assert rest[y == label].mean() > 0.05
    # ...so only the quadrant tells them apart
    assert top_left[y == "spot"].mean() - top_left[y == "no spot"].mean() > 0.05
    assert abs(rest[y == "spot"].mean() - rest[y == "no spot"].mean()) < 0.02


def test_the_same_seed_gives_the_same_images():
    first = make_spot_images(10, random_state=3)
    second = make_spot_images(10, random_state=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_localisation_score_is_the_mass_share_in_the_region():
    maps = np.zeros((3, 4, 4))
    maps[0] = 1
    maps[1, 0, 0] = 2
    maps[1, 3, 3] = 2
    region = np.zeros((4, 4), dtype=bool)
    region[:2, :2] = True
    scores = localisation_score(maps, region)
    np.testing.assert_allclose(scores[:2], [0.25, 0.5])
    assert np.isnan(scores[2])  # no mass, no localisation
    per_map = np.stack([region, ~region, region])
    np.testing.assert_allclose(localisation_score(maps, per_map)[:2], [0.25, 0.5])


@pytest.mark.parametrize(
    "maps, region, message",
    [
        (np.ones((4, 4)), np.ones((4, 4), bool), "shape \\(n_samples, H, W\\)"),
        (np.ones((1, 4, 4)), np.ones((3, 3), bool), "region must be a boolean"),
        (np.ones((1, 4, 4)), np.ones((4, 4)), "region must be a boolean"),
        (-np.ones((1, 4, 4)), np.ones((4, 4), bool), "non-negative"),
    ],
)
def test_localisation_score_refuses_bad_input(maps, region, message):
    with pytest.raises(ValueError, match=message):
        localisation_score(maps, region)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"side": 8}, "side must be an int of at least 12"),
        ({"n_samples": 0}, "n_samples must be a positive"),
        ({"spot_sigma": -1.0}, "spot_sigma must be a positive"),
    ],
)
def test_make_spot_images_refuses_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_spot_images(**kwargs)
