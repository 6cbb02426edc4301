from collections import Counter

import numpy as np
import pytest
from scipy.signal import argrelmin

from sklearn_lipnet.datasets import make_liposomes, thesis_proportions
from sklearn_lipnet.datasets._scenes import lamellarity_scene

#: Tables 1 and 2 of the thesis, as printed.
THESIS_TABLES = {
    "lamellarity": {
        "unilamellar": 0.8729,
        "multilamellar": 0.1212,
        "uncertain": 0.0059,
    },
    "encapsulation": {"full": 0.9734, "uncertain": 0.0201, "empty": 0.0065},
}


def bounding_box(mask):
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


@pytest.mark.parametrize("problem", ["lamellarity", "encapsulation"])
def test_default_proportions_are_the_thesis_tables(problem):
    _, y = make_liposomes(60, problem=problem, pixel_size_nm=3.0, random_state=0)
    counts = Counter(y.tolist())
    for label, share in THESIS_TABLES[problem].items():
        assert abs(counts[label] - 60 * share) < 1
        assert thesis_proportions(problem)[label] == pytest.approx(share, abs=5e-5)
    assert sum(counts.values()) == 60


def test_requested_weights_give_exact_counts():
    _, y = make_liposomes(
        30,
        problem="encapsulation",
        weights=[0.2, 0.5, 0.3],
        pixel_size_nm=3.0,
        random_state=1,
    )
    assert Counter(y.tolist()) == {"empty": 6, "full": 15, "uncertain": 9}
    _, y = make_liposomes(5, weights={"multilamellar": 2.0}, pixel_size_nm=3.0)
    assert set(y) == {"multilamellar"}
    _, y = make_liposomes(
        9, weights=[1, 1, 1], shuffle=False, pixel_size_nm=3.0, random_state=0
    )
    assert y.tolist() == ["unilamellar"] * 3 + ["multilamellar"] * 3 + ["uncertain"] * 3


def test_same_seed_same_images_other_seed_other_images():
    a, ya = make_liposomes(6, weights=[1, 1, 1], pixel_size_nm=2.0, random_state=7)
    b, yb = make_liposomes(
        6,
        weights=[1, 1, 1],
        pixel_size_nm=2.0,
        random_state=np.random.RandomState(7),
    )
    c, _ = make_liposomes(6, weights=[1, 1, 1], pixel_size_nm=2.0, random_state=8)
    np.testing.assert_array_equal(ya, yb)
    for column in ("image", "mask"):
        for x, z in zip(a[column], b[column]):
            np.testing.assert_array_equal(x, z)
    assert not all(
        x.shape == z.shape and np.array_equal(x, z)
        for x, z in zip(a["image"], c["image"])
    )
    generated, _ = make_liposomes(2, random_state=np.random.default_rng(0))
    assert len(generated) == 2


@pytest.mark.parametrize("problem", ["lamellarity", "encapsulation"])
def test_particle_centred_with_its_surrounding(problem):
    table, _ = make_liposomes(
        9, problem=problem, weights=[1, 1, 1], surrounding=30, random_state=2
    )
    for image, mask in zip(table["image"], table["mask"]):
        assert image.dtype == np.uint8 and mask.dtype == bool
        assert mask.shape == image.shape
        top, bottom, left, right = bounding_box(mask)
        height, width = image.shape
        assert 30 <= top <= 32 and 30 <= left <= 32
        assert height - 33 <= bottom <= height - 31
        assert width - 33 <= right <= width - 31


def test_sizes_vary_and_multilamellar_are_larger():
    table, y = make_liposomes(
        40, weights=[1, 1, 0], noise=0.0, surrounding=0, random_state=3
    )
    diameters = np.array([max(image.shape) for image in table["image"]])
    assert 20 <= diameters.min() and diameters.max() <= 400
    assert diameters.max() > 2.5 * diameters.min()
    multi = np.median(diameters[y == "multilamellar"])
    uni = np.median(diameters[y == "unilamellar"])
    assert multi > 1.4 * uni
    finer, _ = make_liposomes(
        40,
        weights=[1, 1, 0],
        pixel_size_nm=0.5,
        noise=0.0,
        surrounding=0,
        random_state=3,
    )
    finer_diameters = np.array([max(image.shape) for image in finer["image"]])
    np.testing.assert_allclose(finer_diameters, 2 * diameters, rtol=0.05, atol=2)


def test_membrane_is_a_bilayer_of_two_dark_lines():
    # At 0.5 nm per pixel the head groups, ~4 nm apart, are 8 px apart.
    table, _ = make_liposomes(
        3, weights=[1, 0, 0], noise=0.0, pixel_size_nm=0.5, random_state=4
    )
    for image, mask in zip(table["image"], table["mask"]):
        middle = image.shape[0] // 2
        left = np.flatnonzero(mask[middle])[0]
        profile = image[middle, left - 4 : left + 16].astype(float)
        minima = argrelmin(profile)[0]
        darkest = np.sort(minima[np.argsort(profile[minima])[:2]])
        assert 6 <= np.diff(darkest)[0] <= 10
        # Both lines are well below the background.
        assert profile[darkest].max() < image[: middle // 2, :20].mean() - 10


def test_noise_parameter():
    clean, _ = make_liposomes(3, noise=0.0, random_state=5)
    noisy, _ = make_liposomes(3, noise=1.0, random_state=5)
    # The top-left corner of the surrounding is (nearly always) plain ice.
    corner = np.s_[:12, :12]
    assert max(np.std(image[corner]) for image in clean["image"]) < 1.0
    assert min(np.std(image[corner]) for image in noisy["image"]) > 3.0


def test_full_liposomes_hold_dark_content_empty_ones_do_not():
    table, y = make_liposomes(
        40,
        problem="encapsulation",
        weights={"empty": 1, "full": 1},
        noise=0.0,
        random_state=6,
    )
    contrast = []
    for image, mask in zip(table["image"], table["mask"]):
        inner = np.zeros_like(mask)
        top, bottom, left, right = bounding_box(mask)
        height, width = bottom - top, right - left
        inner[
            top + height // 3 : bottom - height // 3,
            left + width // 3 : right - width // 3,
        ] = True
        contrast.append(np.median(image[:20, :20]) - image[inner & mask].mean())
    contrast = np.array(contrast)
    assert np.median(contrast[y == "full"]) > np.median(contrast[y == "empty"]) + 10


def test_multilamellar_vesicles_are_onion_like_or_hold_a_whole_vesicle():
    # Real cryo-EM multilamellar vesicles range from closely stacked
    # lamellae to a vesicle inside a vesicle; models trained without the
    # latter called real ones unilamellar. The water between the two outer
    # bilayers (at 1 nm per pixel, in nm) shows which a vesicle is.
    rng = np.random.default_rng(0)
    water_nm, outer_nm, single = [], [], 0
    for _ in range(300):
        scene = lamellarity_scene("multilamellar", rng, 1.0, context=False)
        if len(scene.bilayers) < 2:  # no room left inside a small vesicle
            single += 1
            continue
        outer, second = scene.bilayers[:2]
        water_nm.append(outer.radius - 5.0 - second.radius)  # bilayer: 5 nm
        outer_nm.append(outer.radius)
    water_nm, share = np.array(water_nm), np.array(water_nm) / outer_nm
    assert single <= 3
    # 40 % are drawn onion-like; small loosely nested ones add a few.
    assert 0.35 <= np.mean(water_nm <= 12) <= 0.55
    assert np.mean(share >= 0.35) >= 0.2  # room for a whole vesicle
    assert share.max() <= 0.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": 2.5}, "n_samples must be a positive integer"),
        ({"problem": "size"}, "problem must be one of"),
        ({"weights": [1, 2]}, "one value per class"),
        ({"weights": [1, -1, 1]}, "non-negative"),
        ({"weights": [0, 0, 0]}, "not all zero"),
        ({"weights": {"full": 1}}, r"unknown classes \['full'\]"),
        ({"noise": -1}, "noise must be a non-negative number"),
        ({"pixel_size_nm": 0}, "pixel_size_nm must be positive"),
        ({"surrounding": -5}, "surrounding must be a non-negative integer"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_liposomes(**{"n_samples": 3, **kwargs})


def test_parallel_generation_draws_the_same_cut_outs():
    one, y_one = make_liposomes(9, problem="encapsulation", random_state=3)
    two, y_two = make_liposomes(9, problem="encapsulation", random_state=3, n_jobs=2)
    np.testing.assert_array_equal(y_one, y_two)
    for a, b in zip(one["image"], two["image"]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(one["mask"], two["mask"]):
        np.testing.assert_array_equal(a, b)
