"""Permutation importance of the hand-made feature families."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_lipnet import (
    ParticleFeatures,
    make_hybrid_pipeline,
    make_lipnet_pipeline,
    make_svm_pipeline,
)
from sklearn_lipnet.features import FEATURE_FAMILIES, FEATURE_NAMES
from sklearn_lipnet.inspection import feature_importance, plot_feature_importance
from sklearn_lipnet.inspection._feature_importance import _GroupedFeatures


def test_every_feature_has_one_family():
    members = [name for family in FEATURE_FAMILIES.values() for name in family]
    assert sorted(members) == sorted(FEATURE_NAMES)


def _discs(n_per_class, seed, visible=True):
    """Grey discs on noise whose class is their size alone.

    Radius 12 or 18 px, the same intensities inside: with one fixed intensity
    range (not each cut-out's percentiles, which would move with the disc's
    share of the cut-out) the histogram and the variance are the same for
    both classes, and only the shape family tells them apart. With
    ``visible=False`` the cut-out is plain noise: only the mask shows the disc.
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:64, :64]
    radius = np.hypot(rows - 32, cols - 32)
    images, masks, labels = [], [], []
    for label, size in (("small", 12), ("large", 18)):
        for _ in range(n_per_class):
            mask = radius <= size + rng.uniform(-1.5, 1.5)
            if visible:
                image = 200 + 10 * rng.standard_normal((64, 64))
                image[mask] = 90 + 10 * rng.standard_normal(mask.sum())
            else:
                image = 128 + 20 * rng.standard_normal((64, 64))
            images.append(image)
            masks.append(mask)
            labels.append(label)
    return pd.DataFrame({"image": images, "mask": masks}), np.array(labels)


@pytest.fixture(scope="module")
def size_task():
    table, y = _discs(20, seed=0)
    test_table, test_y = _discs(15, seed=1)
    features = ParticleFeatures(
        ["area", "histogram", "internal_variance"],
        n_histogram_bins=4,
        intensity_range=(0, 255),
    )
    svm = make_svm_pipeline(features).fit(table, y)
    return svm, test_table, test_y


def test_only_the_family_that_decides_the_class_matters(size_task):
    svm, table, y = size_task
    result = feature_importance(svm, table, y, n_repeats=10, random_state=0)
    mean = result.importances_mean
    assert mean.index.tolist() == ["shape", "histogram", "internal variance"]
    assert mean.columns.tolist() == ["balanced_accuracy", "tpr_large", "tpr_small"]
    assert result.baseline["balanced_accuracy"] == 1.0
    # shuffling the areas leaves a coin toss; the rest changes nothing
    assert mean.loc["shape", "balanced_accuracy"] > 0.3
    assert mean.loc["shape", ["tpr_large", "tpr_small"]].sum() > 0.6
    assert mean.drop(index="shape")["balanced_accuracy"].abs().max() < 0.1
    assert result.importances["balanced_accuracy"].shape == (3, 10)
    assert result.columns["shape"] == ["area"]
    assert len(result.columns["histogram"]) == 4


def test_grouped_features_shuffle_a_family_together():
    tail = make_pipeline(LogisticRegression()).fit(
        np.arange(12.0).reshape(6, 2), [0, 0, 0, 1, 1, 1]
    )
    features = np.arange(12.0).reshape(6, 2)
    grouped = _GroupedFeatures(tail, features, [[0, 1]])
    identity = np.arange(6)[:, None]
    np.testing.assert_array_equal(grouped.predict(identity), tail.predict(features))
    # row i of the group taken from row 5 - i: the rows are swapped whole
    swapped = grouped.predict(identity[::-1])
    np.testing.assert_array_equal(swapped, tail.predict(features[::-1]))


def test_per_feature_grouping_and_the_figure(size_task):
    svm, table, y = size_task
    result = feature_importance(svm, table, y, group="feature", random_state=0)
    assert result.importances_mean.index.tolist() == [
        "area",
        "histogram",
        "internal_variance",
    ]
    figure = plot_feature_importance(svm, table, y, random_state=0)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "shape",
        "histogram",
        "internal variance",
    ]
    assert len(ax.patches) == 3 * 3  # families x (balanced accuracy + 2 TPRs)


def test_models_without_hand_made_features_are_refused(size_task):
    _, table, y = size_task
    with pytest.raises(TypeError, match="ParticleFeatures step"):
        feature_importance(make_lipnet_pipeline(), table, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        feature_importance(make_svm_pipeline(), table, y)
    svm, *_ = size_task
    with pytest.raises(ValueError, match="group must be one of"):
        feature_importance(svm, table, y, group="column")
    with pytest.raises(ValueError, match="one label per particle"):
        feature_importance(svm, table, y[:-1])


@pytest.mark.parametrize(
    "mode, decisive, idle",
    [
        # The raw cut-out is noise: only the area feature tells the classes.
        ("surrounding", "shape", "images"),
        # The masked image shows the mask, so the network can read the size
        # from it instead (and does, leaving the feature unused).
        ("masked", "images", "shape"),
    ],
)
def test_a_hybrid_is_told_what_it_reads_the_image_or_the_features(mode, decisive, idle):
    table, y = _discs(20, seed=0, visible=False)
    test_table, test_y = _discs(15, seed=1, visible=False)
    features = ParticleFeatures(
        ["area", "histogram"], n_histogram_bins=4, intensity_range=(0, 255)
    )
    hybrid = make_hybrid_pipeline(
        features=features, mode=mode, max_epochs=30, device="cpu", random_state=0
    ).fit(table, y)
    assert (hybrid.predict(test_table) == test_y).mean() >= 0.9
    result = feature_importance(hybrid, test_table, test_y, random_state=0)
    mean = result.importances_mean["balanced_accuracy"]
    assert list(mean.index) == ["shape", "histogram", "images"]
    assert mean[decisive] > 0.25
    assert abs(mean[idle]) < 0.1
    assert result.columns["shape"] == ["area"]
    assert len(result.columns["images"]) == 28 * 28


def test_a_union_member_that_changes_the_features_columns_is_refused():
    from sklearn.decomposition import PCA
    from sklearn.pipeline import FeatureUnion

    table, y = _discs(10, seed=0, visible=False)
    model = make_pipeline(
        FeatureUnion(
            [
                (
                    "features",
                    make_pipeline(ParticleFeatures(["area", "histogram"]), PCA(2)),
                ),
            ]
        ),
        LogisticRegression(),
    ).fit(table, y)
    with pytest.raises(TypeError, match="'features' to keep the .* columns"):
        feature_importance(model, table, y)
