import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits

from sklearn_lipnet import ParticleFeatures
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.features import (
    area,
    central_moments,
    circularity,
    diameter,
    edge_density_profile,
    intensity_histogram,
    internal_variance,
    maximum_width,
    normalize_intensity,
    perimeter,
    radial_density_profile,
    signal_to_noise,
)
from sklearn_lipnet.features._description import MASK_FEATURES

from .._particle_shapes import disk_mask, vesicle_image, vesicle_table

N_ALL = 3 + 4 + 2 + 32 + 16 + 16 + 2  # without the nanometre features
N_THESIS = 1 + 1 + 4 + 16 + 32 + 1


@pytest.fixture(scope="module")
def table():
    return vesicle_table(6, rng=1)[0]


def test_all_features_give_named_fixed_width_finite_columns(table):
    features = ParticleFeatures().fit(table)
    X = features.transform(table)
    names = features.get_feature_names_out()
    assert X.shape == (len(table), N_ALL) == (len(table), features.n_features_out_)
    assert X.dtype == np.float64
    assert np.isfinite(X).all()
    assert len(set(names)) == len(names) == N_ALL
    for name in [
        "area",
        "moment_mu03",
        "histogram_07",
        "radial_profile_12",
        "edge_profile_15",
        "signal_to_noise",
        "internal_variance",
    ]:
        assert name in names
    assert "length_nm" not in names


def test_thesis_preset_is_the_svm_feature_set(table):
    features = ParticleFeatures("thesis").fit(table)
    assert features.features_ == (
        "area",
        "circularity",
        "moments",
        "edge_profile",
        "histogram",
        "internal_variance",
    )
    assert features.transform(table).shape == (len(table), N_THESIS)


def test_columns_follow_the_requested_order_and_bin_counts(table):
    features = ParticleFeatures(
        ["internal_variance", "histogram", "area"], n_histogram_bins=101
    ).fit(table)
    names = features.get_feature_names_out().tolist()
    assert names[:3] == ["internal_variance", "histogram_000", "histogram_001"]
    assert names[-2:] == ["histogram_100", "area"] and len(names) == 103
    single = ParticleFeatures("edge_profile", n_profile_bins=5).fit(table)
    assert single.get_feature_names_out().tolist() == [
        f"edge_profile_0{i}" for i in range(5)
    ]


def test_columns_equal_the_feature_functions(table):
    features = ParticleFeatures(
        ["area", "maximum_width", "diameter", "moments", "histogram", "edge_profile"],
        edge_profile_depth=8,
    ).set_output(transform="pandas")
    X = features.fit_transform(table)
    for row in range(len(table)):
        image, mask = table["image"][row], table["mask"][row]
        normalized = normalize_intensity(image)
        assert X["area"][row] == area(mask)
        assert X["maximum_width"][row] == pytest.approx(maximum_width(mask))
        assert X["diameter"][row] == pytest.approx(diameter(mask))
        np.testing.assert_allclose(
            X.filter(like="moment_").iloc[row], central_moments(1 - normalized, mask)
        )
        np.testing.assert_allclose(
            X.filter(like="histogram_").iloc[row],
            intensity_histogram(normalized, mask),
        )
        np.testing.assert_allclose(
            X.filter(like="edge_profile_").iloc[row],
            edge_density_profile(normalized, mask, depth=8),
        )


def _expected_columns(image, mask, pixel_size_nm, n_histogram_bins, n_profile_bins):
    """Every feature of one particle from the feature functions, by column."""
    normalized = normalize_intensity(image)
    columns = {
        "area": area(mask),
        "perimeter": perimeter(mask),
        "circularity": circularity(mask),
        "maximum_width": maximum_width(mask),
        "diameter": diameter(mask),
        "maximum_width_nm": maximum_width(mask) * pixel_size_nm,
        "length_nm": diameter(mask) * pixel_size_nm,
        "signal_to_noise": signal_to_noise(normalized, mask),
        "internal_variance": internal_variance(normalized, mask),
    }
    for p, q in [(2, 0), (0, 2), (3, 0), (0, 3)]:
        (moment,) = central_moments(1 - normalized, mask, orders=[(p, q)])
        columns[f"moment_mu{p}{q}"] = moment
    vectors = {
        "histogram": intensity_histogram(normalized, mask, n_bins=n_histogram_bins),
        "radial_profile": radial_density_profile(
            normalized, mask, n_bins=n_profile_bins
        ),
        "edge_profile": edge_density_profile(normalized, mask, n_bins=n_profile_bins),
    }
    for prefix, vector in vectors.items():
        for i, value in enumerate(vector):
            columns[f"{prefix}_{i:02d}"] = value
    return columns


def test_every_column_equals_its_feature_function(table):
    table = table.assign(pixel_size_nm=[0.5, 0.8, 1.0, 1.3, 1.7, 2.0])
    features = ParticleFeatures(n_histogram_bins=12, n_profile_bins=7)
    X = features.set_output(transform="pandas").fit_transform(table)
    # The default: every feature measured in the mask (the mask-free ones
    # are checked against their functions in test_maskfree_features.py).
    assert set(features.features_) == set(MASK_FEATURES)
    for row in range(len(table)):
        expected = _expected_columns(
            table["image"][row],
            table["mask"][row],
            table["pixel_size_nm"][row],
            n_histogram_bins=12,
            n_profile_bins=7,
        )
        assert sorted(expected) == sorted(X.columns)
        for column, value in expected.items():
            assert X[column][row] == pytest.approx(value, rel=1e-9, abs=1e-12), column


def test_8_bit_16_bit_and_float_images_give_the_same_features():
    image8, mask = vesicle_image(90, 30, n_membranes=2, rng=0)
    images = [
        image8,
        image8.astype(np.uint16) * 257,
        image8 / 255.0,
        (image8 / 255.0).astype(np.float32),
    ]
    table = pd.DataFrame({"image": images, "mask": [mask] * 4})
    X = ParticleFeatures().fit_transform(table)
    for row in X[1:]:
        np.testing.assert_allclose(row, X[0], rtol=1e-5, atol=1e-6)


def test_nanometre_features_scale_with_the_pixel_size(table):
    table = table.assign(pixel_size_nm=np.linspace(0.5, 2.0, len(table)))
    features = ParticleFeatures().fit(table)
    assert features.n_features_out_ == N_ALL + 2
    X = features.set_output(transform="pandas").transform(table)
    np.testing.assert_allclose(X["length_nm"], X["diameter"] * table["pixel_size_nm"])
    np.testing.assert_allclose(
        X["maximum_width_nm"], X["maximum_width"] * table["pixel_size_nm"]
    )


def test_nanometre_features_need_pixel_sizes(table):
    with pytest.raises(ValueError, match="pixel_size_nm"):
        ParticleFeatures(["length_nm"]).fit(table)
    sized = table.assign(pixel_size_nm=1.0)
    features = ParticleFeatures().fit(sized)
    with pytest.raises(ValueError, match="needs a 'pixel_size_nm' column"):
        features.transform(table)
    missing = sized.copy()
    missing.loc[[2, 4], "pixel_size_nm"] = np.nan
    with pytest.raises(ValueError, match=r"missing for particle at index 2, .*index 4"):
        features.transform(missing)
    negative = sized.copy()
    negative.loc[3, "pixel_size_nm"] = -1.0
    with pytest.raises(ValueError, match="index 3: pixel_size_nm must be a positive"):
        features.transform(negative)


def test_pandas_output_keeps_the_table_index(table):
    indexed = table.set_index(pd.Index([f"p{i}" for i in range(len(table))]))
    X = (
        ParticleFeatures(["area", "circularity"])
        .set_output(transform="pandas")
        .fit_transform(indexed)
    )
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == ["area", "circularity"]
    assert list(X.index) == list(indexed.index)


def test_clone_get_params_and_pickle(table):
    features = ParticleFeatures("thesis", n_histogram_bins=16, n_jobs=1)
    assert clone(features).get_params() == features.get_params()
    fitted = features.fit(table)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(table), fitted.transform(table))
    np.testing.assert_array_equal(
        restored.get_feature_names_out(), fitted.get_feature_names_out()
    )


def test_not_fitted_raises(table):
    with pytest.raises(NotFittedError):
        ParticleFeatures().transform(table)
    with pytest.raises(NotFittedError):
        ParticleFeatures().get_feature_names_out()


def test_parameters_after_fit_do_not_change_the_columns(table):
    features = ParticleFeatures(n_histogram_bins=8).fit(table)
    features.set_params(n_histogram_bins=64)
    assert features.transform(table).shape[1] == features.n_features_out_


def test_parallel_equals_serial(table, monkeypatch):
    # Small inputs stay in the calling process; lower the bar so that these
    # six particles go to two worker processes.
    monkeypatch.setattr("sklearn_lipnet.utils._parallel.MIN_PARTICLES_PER_PROCESS", 1)
    serial = ParticleFeatures(n_jobs=1).fit_transform(table)
    parallel = ParticleFeatures(n_jobs=2).fit_transform(table)
    np.testing.assert_array_equal(parallel, serial)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_features_do_not_depend_on_the_callers_blas_threads():
    # Large cut-outs: long dot products in the moments, which a
    # multi-threaded BLAS would add up in another order than the single
    # BLAS thread of a joblib worker.
    table = make_liposomes(6, random_state=0)[0].drop(columns="mask")
    features = ParticleFeatures("auto").fit(table)
    with threadpool_limits(limits=1, user_api="blas"):
        one_thread = features.transform(table)
    with threadpool_limits(limits=4, user_api="blas"):
        threads = features.transform(table)
    np.testing.assert_array_equal(threads, one_thread)


# The blank cut-out's best-guess mask, the inscribed disc, touches the border.
@pytest.mark.filterwarnings("ignore:1 particle.s. touch the image border")
def test_parallel_without_masks_equals_serial_and_names_failures(monkeypatch):
    monkeypatch.setattr("sklearn_lipnet.utils._parallel.MIN_PARTICLES_PER_PROCESS", 1)
    table = vesicle_table(7, rng=3, with_masks=False)[0]
    table["id"] = [f"p{i}" for i in range(len(table))]
    # A blank cut-out has no outline; at position 5 it lands in the last of
    # the worker chunks, whose positions must be mapped back to the table.
    table.at[5, "image"] = np.full_like(table["image"][5], 120)
    features = ParticleFeatures(["area", "histogram"], n_histogram_bins=4)
    with pytest.warns(UserWarning, match=r"outline in 1 of 7 images \(particle 'p5'\)"):
        serial = features.set_params(n_jobs=1).fit_transform(table)
    with pytest.warns(UserWarning, match=r"outline in 1 of 7 images \(particle 'p5'\)"):
        parallel = features.set_params(n_jobs=2).fit_transform(table)
    np.testing.assert_array_equal(parallel, serial)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"features": ["area", "roundness"]}, r"Unknown feature\(s\) \['roundness'\]"),
        ({"features": ["area", "area"]}, "more than once"),
        ({"features": []}, "features must not be empty"),
        ({"features": 3}, "'features' parameter of ParticleFeatures must be"),
        ({"features": "roundness"}, "'features' parameter .* among"),
        ({"n_histogram_bins": 0}, r"'n_histogram_bins' parameter .* range \[1, inf\)"),
        ({"n_profile_bins": 2.5}, "'n_profile_bins' parameter .* must be an int"),
        ({"edge_profile_depth": 0.2}, "'edge_profile_depth' parameter .* range"),
        ({"edge_profile_depth": np.inf}, "'edge_profile_depth' parameter .* Got inf"),
        ({"intensity_range": "minmax"}, "'intensity_range' parameter"),
        ({"intensity_range": (5, 1)}, "intensity_range must be"),
        ({"intensity_range": (0, np.nan)}, "intensity_range must be"),
    ],
)
def test_bad_parameters_raise_in_fit_not_init(table, params, message):
    features = ParticleFeatures(**params)  # must not raise
    with pytest.raises(ValueError, match=message):
        features.fit(table)


def _table_with(rows, ids):
    return pd.DataFrame(
        {"image": [r[0] for r in rows], "mask": [r[1] for r in rows], "id": ids}
    )


def test_tiny_masks_are_all_named_in_one_error():
    image, mask = vesicle_image(80, 25, rng=3)
    tiny = np.zeros_like(mask)
    tiny[40:42, 40:43] = True
    single = np.zeros_like(mask)
    single[10, 10] = True
    table = _table_with(
        [(image, mask), (image, tiny), (image, mask), (image, single)],
        ["ok-a", "tiny", "ok-b", "single"],
    )
    features = ParticleFeatures().fit(table)
    with pytest.raises(ValueError) as error:
        features.transform(table)
    message = str(error.value)
    assert "cannot describe 2 of 4 particle(s)" in message
    assert "particle 'tiny': mask has only 6 pixel(s), fewer than the 16" in message
    assert "particle 'single': mask has only 1 pixel(s)" in message
    assert "ok-a" not in message and "ok-b" not in message
    # Dropping the named rows is the documented way out.
    assert np.isfinite(features.transform(table.drop(index=[1, 3]))).all()


def test_empty_mask_and_nan_pixels_name_the_particle():
    image, mask = vesicle_image(80, 25, rng=3)
    nan_image = image.astype(float)
    nan_image[3, 3] = np.nan  # outside the particle: still spoils the range
    features = ParticleFeatures().fit(_table_with([(image, mask)], ["ok"]))
    empty = _table_with([(image, mask), (image, np.zeros_like(mask))], ["ok", "e"])
    with pytest.raises(ValueError, match="particle 'e': mask is empty"):
        features.transform(empty)
    with_nan = _table_with([(image, mask), (nan_image, mask)], ["ok", "n"])
    with pytest.raises(ValueError, match="particle 'n': image has 1 NaN"):
        features.transform(with_nan)


def test_mask_shape_differing_from_the_image_is_named():
    image, mask = vesicle_image(80, 25, rng=3)
    table = pd.DataFrame({"image": [image, image], "mask": [mask, mask[:-1]]})
    with pytest.raises(ValueError, match="index 1: mask shape .* differs"):
        ParticleFeatures().fit_transform(table)


def test_particle_touching_the_border_warns_and_stays_finite():
    image, mask = vesicle_image(60, 25, rng=4)
    cut_image, cut_mask = image[:, 20:], mask[:, 20:]
    table = pd.DataFrame({"image": [image, cut_image], "mask": [mask, cut_mask]})
    with pytest.warns(
        UserWarning, match=r"1 particle\(s\) touch the image border.*index 1"
    ):
        X = ParticleFeatures().fit_transform(table)
    assert np.isfinite(X).all()


def test_constant_image_gives_finite_features_and_zero_variance():
    mask = disk_mask(20, side=61)
    table = pd.DataFrame(
        {"image": [np.full(mask.shape, 117, np.uint8)], "mask": [mask]}
    )
    X = ParticleFeatures().set_output(transform="pandas").fit_transform(table)
    assert np.isfinite(X.to_numpy()).all()
    assert X["internal_variance"][0] == 0.0
    assert X["signal_to_noise"][0] == 0.0
    # All pixels map to the middle of the range: one histogram bin.
    assert X["histogram_16"][0] == 1.0


def test_no_warning_for_clean_particles(table):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ParticleFeatures().fit_transform(table)


def test_images_without_masks_are_segmented_automatically():
    with_masks, _ = vesicle_table(4, rng=5)
    images = list(with_masks["image"])
    features = ParticleFeatures(["area", "diameter"]).set_output(transform="pandas")
    expected = features.fit_transform(with_masks)
    for X in (pd.DataFrame({"image": images}), images):
        measured = features.fit_transform(X)
        np.testing.assert_allclose(measured["area"], expected["area"], rtol=0.15)
        np.testing.assert_allclose(measured["diameter"], expected["diameter"], rtol=0.1)


def test_a_stack_of_images_is_a_table():
    image, _ = vesicle_image(70, 20, rng=6)
    stack = np.stack([image, image[::-1]])
    X = ParticleFeatures("thesis").fit_transform(stack)
    assert X.shape == (2, N_THESIS) and np.isfinite(X).all()
