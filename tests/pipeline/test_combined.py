"""The hybrid pipeline and the stacking of the LipNet and SVM pipelines."""

import pickle

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import FeatureUnion

from sklearn_lipnet import (
    LipNetClassifier,
    ParticleFeatures,
    load_model,
    make_hybrid_pipeline,
    make_lipnet_pipeline,
    make_svm_pipeline,
    save_model,
)
from sklearn_lipnet.neural_network import HybridLipNet
from sklearn_lipnet.pipeline import make_stacking_classifier

from .._particle_shapes import vesicle_table

FAST = dict(max_epochs=2, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def data():
    return vesicle_table(36, rng=2)


@pytest.fixture(scope="module")
def fitted_hybrid(data):
    table, y = data
    features = ParticleFeatures(
        ["area", "circularity", "histogram"], n_histogram_bins=8
    )
    return make_hybrid_pipeline(features=features, **FAST).fit(table, y)


def test_hybrid_steps_join_image_and_standardised_features(data, fitted_hybrid):
    table, _ = data
    assert [name for name, _ in fitted_hybrid.steps] == ["union", "hybrid"]
    union = fitted_hybrid.named_steps["union"]
    assert isinstance(union, FeatureUnion)
    joined = union.transform(table)
    assert joined.shape == (len(table), 28 * 28 + 10)
    names = union.get_feature_names_out()
    assert names[0] == "images__pixel_0_0" and names[-1] == "features__histogram_07"
    np.testing.assert_allclose(joined[:, 28 * 28 :].mean(axis=0), 0, atol=1e-9)
    classifier = fitted_hybrid.named_steps["hybrid"]
    assert classifier.n_image_features == 28 * 28
    assert isinstance(classifier.module_, HybridLipNet)
    assert classifier.module_.feature_branch[0].in_features == 10


def test_hybrid_takes_string_labels_and_returns_them(data, fitted_hybrid):
    table, y = data
    assert set(fitted_hybrid.predict(table)) <= set(y)
    assert fitted_hybrid.classes_.tolist() == ["multilamellar", "unilamellar"]
    np.testing.assert_allclose(fitted_hybrid.predict_proba(table).sum(axis=1), 1)


def test_hybrid_round_trips_through_clone_pickle_and_model_files(
    data, fitted_hybrid, tmp_path
):
    table, y = data
    expected = fitted_hybrid.predict_proba(table)
    restored = pickle.loads(pickle.dumps(fitted_hybrid))
    np.testing.assert_array_equal(restored.predict_proba(table), expected)
    save_model(fitted_hybrid, tmp_path / "hybrid.lipnet")
    loaded = load_model(tmp_path / "hybrid.lipnet")
    np.testing.assert_array_equal(loaded.predict(table), fitted_hybrid.predict(table))
    np.testing.assert_array_equal(loaded.predict_proba(table), expected)
    refitted = clone(fitted_hybrid).fit(table, y)
    np.testing.assert_array_equal(refitted.predict_proba(table), expected)


def test_a_sampler_fits_between_the_union_and_the_network(data):
    table, y = data
    pipeline = make_hybrid_pipeline(
        features=["area", "circularity"],
        sampler="oversample",
        balance=None,
        **FAST,
    )
    assert [name for name, _ in pipeline.steps] == ["union", "sampler", "hybrid"]
    assert isinstance(pipeline.named_steps["sampler"], RandomOverSampler)
    assert set(pipeline.fit(table, y).predict(table)) <= set(y)


def test_grid_search_over_the_branch_widths(data):
    table, y = data
    search = GridSearchCV(
        make_hybrid_pipeline(features=["area", "circularity"], **FAST),
        {
            "hybrid__module__dense_units": [8, 16],
            "hybrid__module__feature_units": [2, 4],
        },
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
        error_score="raise",
    )
    search.fit(table, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.named_steps["hybrid"].module_
    assert (
        best.image_head[1].out_features
        == search.best_params_["hybrid__module__dense_units"]
    )
    assert (
        best.feature_branch[0].out_features
        == search.best_params_["hybrid__module__feature_units"]
    )


def test_hybrid_pipeline_follows_size_and_architecture():
    pipeline = make_hybrid_pipeline("lipnet6")
    images = pipeline.named_steps["union"].transformer_list[0][1]
    assert images.size == 32
    assert pipeline.named_steps["hybrid"].n_image_features == 32 * 32
    pipeline = make_hybrid_pipeline("lipnet4c", size=48, scale="fixed", canvas_nm=200)
    images = pipeline.named_steps["union"].transformer_list[0][1]
    assert (images.size, images.scale, images.canvas_nm) == (48, "fixed", 200)
    classifier = pipeline.named_steps["hybrid"]
    assert classifier.n_image_features == 48 * 48
    assert classifier.get_params()["module__input_size"] == 48
    with pytest.raises(ValueError, match="contradicts module__input_size"):
        make_hybrid_pipeline(size=48, module__input_size=40)


def test_stacking_the_lipnet_and_svm_pipelines_on_a_particle_table(data, tmp_path):
    table, y = data
    stacking = make_stacking_classifier(
        make_lipnet_pipeline(**FAST), make_svm_pipeline(), cv=2, random_state=0
    )
    assert isinstance(stacking, StackingClassifier)
    stacking.fit(table, y)
    assert stacking.stack_method_ == ["predict_proba", "decision_function"]
    # binary: one probability column of the LipNet, one decision value
    assert stacking.final_estimator_.n_features_in_ == 2
    proba = stacking.predict_proba(table)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert set(stacking.predict(table)) <= set(y)
    save_model(stacking, tmp_path / "stacking.lipnet")
    loaded = load_model(tmp_path / "stacking.lipnet")
    np.testing.assert_allclose(loaded.predict_proba(table), proba, rtol=0, atol=1e-12)


def test_stacking_defaults_are_the_thesis_pipelines():
    stacking = make_stacking_classifier(random_state=3)
    lipnet, svm = (estimator for _, estimator in stacking.estimators)
    assert isinstance(lipnet.named_steps["lipnet"], LipNetClassifier)
    assert lipnet.named_steps["lipnet"].random_state == 3
    assert svm.named_steps["svc"].class_weight == "balanced"
    assert stacking.final_estimator.class_weight == "balanced"
    assert (stacking.cv.n_splits, stacking.cv.shuffle) == (3, True)
    assert make_stacking_classifier().cv.shuffle is False


def test_hybrid_default_features_add_the_mask_free_ones_without_masks(data):
    table, y = data
    with_masks = make_hybrid_pipeline(**FAST).fit(table, y)
    without = make_hybrid_pipeline(**FAST).fit(table.drop(columns="mask"), y)

    def feature_names(pipeline):
        union = pipeline.named_steps["union"]
        return union.named_transformers["features"].named_steps["features"].features_

    assert feature_names(with_masks) == ParticleFeatures("thesis").fit(table).features_
    names = feature_names(without)
    assert "ring_profile" in names and "mask_trusted" in names
    n_features = ParticleFeatures(names).fit(table).n_features_out_
    assert without.named_steps["hybrid"].module_.feature_branch[0].in_features == (
        n_features
    )
