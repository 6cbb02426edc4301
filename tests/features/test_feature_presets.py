"""The feature presets and the check of automatic masks in ParticleFeatures."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet import ParticleFeatures
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.features import density_moments, normalize_intensity
from sklearn_lipnet.features._description import (
    MASK_CHECK,
    MASK_FEATURES,
    MASK_FREE_FEATURES,
    NANOMETRE_FEATURES,
    THESIS_FEATURES,
)
from sklearn_lipnet.segmentation import _particle, _quality, segmentation_quality
from sklearn_lipnet.segmentation._filters import membrane_darkness
from sklearn_lipnet.segmentation._particle import _segment

from .._particle_shapes import radius_map, vesicle_image, vesicle_table

N_MASK_FREE = 16 + 16 + 12 + 6 + 6 + 32 + 4 + 10 + 8


@pytest.fixture(scope="module")
def table():
    return vesicle_table(6, rng=2)[0]


def test_all_is_the_mask_features_alone(table):
    features = ParticleFeatures("all").fit(table)
    assert features.features_ == tuple(
        name for name in MASK_FEATURES if name not in NANOMETRE_FEATURES
    )
    assert not set(features.features_) & set(MASK_FREE_FEATURES)


def test_mask_free_features_need_no_segmentation(table):
    blank = pd.DataFrame({"image": [np.full((30, 30), 120, np.uint8)] * 2})
    features = ParticleFeatures("mask_free").fit(blank)
    with warnings.catch_warnings():
        # Segmenting a blank image would warn that no outline was found.
        warnings.simplefilter("error")
        X = features.transform(blank)
    assert X.shape == (2, N_MASK_FREE) == (2, features.n_features_out_)
    assert np.isfinite(X).all()
    names = features.get_feature_names_out()
    assert len(set(names)) == len(names)
    assert {"ring_profile_00", "angular_harmonic_r2_k4", "coherence_r0"} <= set(names)
    assert {"density_c30", "intensity_kurtosis", "lbp_09", "haralick_energy_d2"} <= set(
        names
    )
    assert np.isfinite(ParticleFeatures("mask_free").fit_transform(table)).all()


def test_mask_free_features_ignore_the_storage_format():
    image, _ = vesicle_image(70, 25, rng=0)
    versions = [image, image.astype(np.uint16) * 257, image / 255.0]
    X = ParticleFeatures("mask_free").fit_transform(pd.DataFrame({"image": versions}))
    np.testing.assert_allclose(X[1], X[0], atol=1e-9)
    np.testing.assert_allclose(X[2], X[0], atol=1e-9)


def test_auto_is_the_thesis_set_where_experts_drew_every_mask(table):
    auto = ParticleFeatures("auto").fit(table)
    assert auto.features_ == THESIS_FEATURES
    np.testing.assert_array_equal(
        auto.transform(table), ParticleFeatures("thesis").fit_transform(table)
    )


def test_auto_adds_mask_free_features_and_checks_masks_where_masks_are_missing(
    table,
):
    partial = table.copy()
    partial.loc[0, "mask"] = None
    for data in (partial, table.drop(columns="mask")):
        auto = ParticleFeatures("auto").fit(data)
        assert auto.features_ == MASK_FREE_FEATURES + THESIS_FEATURES + (MASK_CHECK,)


def _fallback_disc(image):
    gyration = density_moments(normalize_intensity(image))[1]
    half = min(image.shape) / 2
    radius = max(np.clip(1.2 * gyration, 0.25, 1.0) * half, 3.0)
    return radius_map(image.shape) <= radius


def test_untrusted_masks_are_replaced_and_the_choice_recorded():
    clear, expert = vesicle_image(80, 28, noise=4, rng=0)
    rng = np.random.default_rng(1)
    # Noise alone: no closed outline to find.
    speckle = (140 + 25 * rng.standard_normal((80, 80))).clip(0, 255).astype(np.uint8)
    table = pd.DataFrame(
        {
            "image": [clear, speckle, speckle],
            "mask": [None, None, expert],
            "id": list("abc"),
        }
    )
    features = ParticleFeatures(list(THESIS_FEATURES) + [MASK_CHECK]).fit(table)
    with pytest.warns(UserWarning, match=r"1 of 2 automatic masks failed.*\bb\b"):
        X = features.transform(table)
    np.testing.assert_array_equal(X[:, -1], [1.0, 0.0, 1.0])
    assert np.isfinite(X).all()
    # The untrusted particle is measured in the fallback disc, the expert
    # mask is used as given.
    expected = ParticleFeatures("thesis").fit_transform(
        pd.DataFrame(
            {"image": [speckle, speckle], "mask": [_fallback_disc(speckle), expert]}
        )
    )
    np.testing.assert_allclose(X[1:, :-1], expected)
    # Without the check, the same particle keeps its automatic mask.
    with pytest.warns(UserWarning):
        unchecked = ParticleFeatures("thesis").fit_transform(table)
    assert not np.allclose(unchecked[1], X[1, :-1])


def test_the_mask_check_agrees_with_segmentation_quality_on_one_band_pass(
    monkeypatch,
):
    table, _ = make_liposomes(12, regime="hard", weights=[1, 1, 1], random_state=0)
    images = list(table["image"])
    expected = []
    for image in images:
        mask, closed = _segment(image)
        expected.append(segmentation_quality(image, mask, closed=closed).trusted)
    # Both a trusted and an untrusted mask, or the comparison says little.
    assert 0 < sum(expected) < len(expected)

    calls = []

    def counted(image, sigma):
        calls.append(image.shape)
        return membrane_darkness(image, sigma)

    monkeypatch.setattr(_particle, "membrane_darkness", counted)
    monkeypatch.setattr(_quality, "membrane_darkness", counted)
    features = ParticleFeatures(list(THESIS_FEATURES) + [MASK_CHECK])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X = features.fit_transform(table[["image"]])
    np.testing.assert_array_equal(X[:, -1], np.array(expected, dtype=float))
    # The segmentation's band-pass serves the check: one per particle.
    assert len(calls) == len(images)


def test_auto_features_on_the_hard_regime_are_finite():
    table, _ = make_liposomes(6, regime="hard", weights=[1, 1, 1], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X = ParticleFeatures("auto").fit_transform(table)
    assert X.shape == (6, N_MASK_FREE + 55 + 1)
    assert np.isfinite(X).all()


def test_too_small_cutouts_are_named():
    table = pd.DataFrame(
        {"image": [np.zeros((4, 4)), np.zeros((9, 9))], "id": ["tiny", "ok"]}
    )
    with pytest.raises(
        ValueError, match=r"'tiny': the cut-out of shape \(4, 4\) is too small"
    ):
        ParticleFeatures("mask_free").fit_transform(table)
