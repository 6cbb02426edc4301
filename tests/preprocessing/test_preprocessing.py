import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_lipnet import ParticlePreprocessor
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.preprocessing import prepare_image


def scene():
    """A disc particle, clutter inside its bounding box, a neighbour far off."""
    rows, cols = np.mgrid[:100, :100]
    disc = np.hypot(rows - 50, cols - 50) <= 10
    image = np.full((100, 100), 10.0)
    image[40:61, 40:61] = -20.0  # inside the bounding box, outside the disc
    image[disc] = 30.0 + (cols[disc] - 50)  # a ramp across the particle
    image[:15, :15] = 90.0  # a neighbour in the surrounding
    return image, disc


def transform(mode, size=21, **kwargs):
    image, disc = scene()
    table = pd.DataFrame({"image": [image], "mask": [disc]})
    pre = ParticlePreprocessor(mode=mode, size=size, **kwargs)
    return pre.fit_transform(table).reshape(size, size)


def test_surrounding_keeps_everything():
    out = transform("surrounding", size=20, normalize=False)
    assert out[0, 0] == pytest.approx(90.0)  # the neighbour, 5 x 5 source pixels
    assert out.mean() == pytest.approx(scene()[0].mean(), rel=1e-5)


def test_cropped_crops_to_the_particle():
    out = transform("cropped", normalize=False)
    # 21 x 21 bounding box onto 21 x 21 pixels: exactly the box.
    image, _ = scene()
    np.testing.assert_allclose(out, image[40:61, 40:61])
    assert out.max() < 90.0  # the neighbour is gone


def test_masked_removes_the_surrounding():
    out = transform("masked", normalize=False)
    image, disc = scene()
    inside = disc[40:61, 40:61]
    np.testing.assert_allclose(out[inside], image[40:61, 40:61][inside])
    # Clutter and neighbour are replaced by the particle's mean intensity.
    np.testing.assert_allclose(out[~inside], image[disc].mean())
    normalised = transform("masked")
    assert normalised[~inside] == pytest.approx(0.0)
    assert normalised[inside].mean() == pytest.approx(0.0, abs=1e-5)
    assert normalised[inside].std() == pytest.approx(1.0, rel=1e-4)


def test_keep_aspect_pads_instead_of_stretching():
    image = np.zeros((60, 80))
    mask = np.zeros((60, 80), dtype=bool)
    mask[25:35, 20:60] = True  # 10 x 40
    image[mask] = 1.0
    table = pd.DataFrame({"image": [image], "mask": [mask]})
    kept = ParticlePreprocessor("cropped", size=8, normalize=False).fit_transform(table)
    stretched = ParticlePreprocessor(
        "cropped", size=8, keep_aspect=False, normalize=False
    ).fit_transform(table)
    kept, stretched = kept.reshape(8, 8), stretched.reshape(8, 8)
    np.testing.assert_allclose(stretched, 1.0)
    np.testing.assert_allclose(kept[3:5], 1.0)
    np.testing.assert_allclose(kept[:2], 0.0)


def test_output_contract_on_generated_liposomes():
    table, y = make_liposomes(5, pixel_size_nm=2.0, random_state=0)
    for mode in ("surrounding", "cropped", "masked"):
        pre = ParticlePreprocessor(mode, size=16).fit(table)
        X = pre.transform(table)
        assert X.shape == (5, 256) and X.dtype == np.float32
        assert np.all(np.isfinite(X))
        names = pre.get_feature_names_out()
        assert len(names) == 256 and names[17] == "pixel_1_1"
    frame = (
        ParticlePreprocessor(size=4)
        .set_output(transform="pandas")
        .fit_transform(table.set_index("id"))
    )
    assert list(frame.index) == list(table["id"])
    assert list(frame.columns)[:2] == ["pixel_0_0", "pixel_0_1"]


def test_auto_mode_follows_the_expert_masks():
    table, _ = make_liposomes(4, pixel_size_nm=2.0, random_state=1)
    assert ParticlePreprocessor().fit(table).mode_ == "masked"
    images = np.stack([np.zeros((30, 30)), np.ones((30, 30))])
    assert ParticlePreprocessor().fit(images).mode_ == "surrounding"
    partial = table.assign(mask=[table["mask"][0], None, None, None])
    with pytest.warns(UserWarning, match="1 of 4 particles have expert masks"):
        assert ParticlePreprocessor().fit(partial).mode_ == "surrounding"
    # Masks at fit, none at transform: segmented, and the user is told.
    pre = ParticlePreprocessor(size=8).fit(table)
    with pytest.warns(UserWarning, match="4 of 4 particles have no expert mask"):
        X = pre.transform(table.drop(columns="mask"))
    assert X.shape == (4, 64)


def test_missing_masks_come_from_the_segmentation():
    table, _ = make_liposomes(3, pixel_size_nm=2.0, noise=0.5, random_state=2)
    with_masks = ParticlePreprocessor("masked", size=12).fit_transform(table)
    segmented = ParticlePreprocessor("masked", size=12).fit_transform(
        table.drop(columns="mask")
    )
    assert segmented.shape == with_masks.shape
    # The segmentation finds nearly the same outline: nearly the same images
    # (masks eroded by 8 px give 0.57 here, the whole cut-out -0.29).
    assert np.corrcoef(segmented.ravel(), with_masks.ravel())[0, 1] > 0.8


def test_small_images_are_upsampled():
    X = ParticlePreprocessor("surrounding", size=28).fit_transform(
        [np.arange(100.0).reshape(10, 10)]
    )
    assert X.shape == (1, 784) and np.all(np.isfinite(X))


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"mode": "crop"},
            "'mode' parameter of ParticlePreprocessor must be a str among",
        ),
        ({"size": 1}, r"'size' parameter .* in the range \[2, inf\)"),
        ({"size": 28.0}, r"'size' parameter .* must be an int"),
        (
            {"normalize": "yes"},
            "'normalize' parameter .* must be an instance of 'bool'",
        ),
    ],
)
def test_parameters_are_validated_in_fit(params, message):
    pre = ParticlePreprocessor(**params)  # storing them never fails
    with pytest.raises(ValueError, match=message):
        pre.fit([np.zeros((10, 10))])


def test_not_fitted_and_bad_input():
    with pytest.raises(NotFittedError):
        ParticlePreprocessor().transform([np.zeros((10, 10))])
    pre = ParticlePreprocessor().fit([np.zeros((10, 10))])
    bad = pd.DataFrame({"id": ["a", "b"], "image": [np.zeros((9, 9)), np.zeros(9)]})
    with pytest.raises(ValueError, match=r"particle 'b': image must be a 2-D array"):
        pre.transform(bad)


def test_scikit_learn_behaviour():
    table, y = make_liposomes(12, weights=[1, 1, 0], pixel_size_nm=2.0, random_state=3)
    pre = ParticlePreprocessor("cropped", size=10, n_jobs=1)
    assert clone(pre).get_params() == pre.get_params()
    X = pre.fit_transform(table)
    restored = pickle.loads(pickle.dumps(pre))
    np.testing.assert_array_equal(restored.transform(table), X)
    np.testing.assert_array_equal(clone(pre).fit_transform(table), X)
    model = make_pipeline(ParticlePreprocessor(size=10), LogisticRegression())
    model.fit(table, y)
    assert set(model.predict(table)) <= set(y)


@pytest.mark.parametrize(
    "offset, amplitude", [(1e17, 1e3), (0.0, 1e20), (1e300, 1e290)]
)
def test_huge_values_keep_their_detail(offset, amplitude):
    # In float32 the detail of values near 1e17 vanished, and from about
    # 2e19 on the standard deviation overflowed: the image became zeros.
    ramp = np.tile(np.arange(40.0), (40, 1))
    out = prepare_image(offset + amplitude * ramp, None, "surrounding", 8)
    expected = prepare_image(ramp, None, "surrounding", 8)
    # (float64 holds 1e17 to 16 units: the ramp steps of 1000 are 1 % coarse)
    np.testing.assert_allclose(out, expected, rtol=0, atol=2e-3)
    assert out.std() > 0.9


@pytest.mark.parametrize("mode", ["surrounding", "masked"])
def test_parallel_preparation_gives_the_same_rows_in_the_same_order(mode):
    from sklearn_lipnet.utils._parallel import chunk_bounds

    table, _ = make_liposomes(70, random_state=4)
    # Enough particles that two processes each get chunks of their own.
    assert chunk_bounds(len(table), 2)[0] == 2
    serial = ParticlePreprocessor(mode, n_jobs=1).fit(table).transform(table)
    parallel = ParticlePreprocessor(mode, n_jobs=2).fit(table).transform(table)
    np.testing.assert_array_equal(parallel, serial)
    assert parallel.dtype == np.float32
    # Each row is its own particle's image, not a neighbour's.
    single = ParticlePreprocessor(mode).fit(table).transform(table.iloc[[41]])
    np.testing.assert_array_equal(parallel[41], single[0])
