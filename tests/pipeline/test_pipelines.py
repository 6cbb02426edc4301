import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.svm import SVC

from sklearn_lipnet import (
    LipNetClassifier,
    ParticleFeatures,
    ParticlePreprocessor,
    load_model,
    make_lipnet_pipeline,
    make_svm_pipeline,
    save_model,
)
from sklearn_lipnet.pipeline import TunedSVC

from .._particle_shapes import vesicle_table
from .._synthetic import three_shapes


@pytest.fixture(scope="module")
def data():
    return vesicle_table(36, rng=2)


@pytest.mark.parametrize(
    "sampler, sampler_type",
    [(None, None), ("oversample", RandomOverSampler), ("smote", SMOTE)],
)
def test_steps_follow_the_thesis_set_up(sampler, sampler_type):
    # A fixed C: the thesis's steps, the sampler in front of a plain SVC.
    pipeline = make_svm_pipeline(sampler=sampler, C=1.0, random_state=3)
    assert isinstance(pipeline, Pipeline)
    names = [name for name, _ in pipeline.steps]
    expected = ["features", "scaler", "sampler", "svc"]
    if sampler is None:
        expected.remove("sampler")
    assert names == expected
    assert pipeline.named_steps["features"].features == "auto"
    svc = pipeline.named_steps["svc"]
    assert isinstance(svc, SVC) and svc.class_weight == "balanced"
    assert svc.C == 1.0
    if sampler_type is not None:
        assert isinstance(pipeline.named_steps["sampler"], sampler_type)
        assert pipeline.named_steps["sampler"].random_state == 3


@pytest.mark.parametrize(
    "sampler, sampler_type",
    [(None, None), ("oversample", RandomOverSampler), ("smote", SMOTE)],
)
def test_default_steps_choose_C_with_the_sampler_inside(sampler, sampler_type):
    pipeline = make_svm_pipeline(sampler=sampler, random_state=3)
    assert [name for name, _ in pipeline.steps] == ["features", "scaler", "svc"]
    svc = pipeline.named_steps["svc"]
    assert isinstance(svc, TunedSVC)
    assert (svc.C, svc.class_weight, svc.random_state) == ("cv", "balanced", 3)
    if sampler_type is None:
        assert svc.sampler is None
    else:
        # Inside the search, the sampler resamples only each inner fold's
        # training part.
        assert isinstance(svc.sampler, sampler_type)
        assert svc.sampler.random_state == 3


def test_string_labels_through_cross_validate(data):
    table, y = data
    scores = cross_validate(
        make_svm_pipeline(),
        table,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
    )
    # One versus three membranes: the features must see that easily.
    assert scores["test_score"].mean() > 0.9


@pytest.mark.parametrize("sampler", [None, "oversample", "smote"])
def test_probabilities_follow_classes(data, sampler):
    table, y = data
    pipeline = make_svm_pipeline(sampler=sampler, probability=True, random_state=0)
    assert isinstance(pipeline.named_steps["calibrated"], CalibratedClassifierCV)
    pipeline.fit(table, y)
    assert pipeline.classes_.tolist() == ["multilamellar", "unilamellar"]
    proba = pipeline.predict_proba(table)
    assert proba.shape == (len(table), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    agreement = np.mean(pipeline.classes_[proba.argmax(axis=1)] == y)
    assert agreement > 0.9


def test_sampler_sits_inside_the_calibration():
    pipeline = make_svm_pipeline(sampler="oversample", probability=True, C=1.0)
    inner = pipeline.named_steps["calibrated"].estimator
    assert [name for name, _ in inner.steps] == ["sampler", "svc"]
    assert "calibrated__estimator__svc__C" in pipeline.get_params()
    tuned = make_svm_pipeline(sampler="oversample", probability=True)
    inner = tuned.named_steps["calibrated"].estimator
    assert isinstance(inner, TunedSVC)
    assert isinstance(inner.sampler, RandomOverSampler)


def test_without_probability_there_is_no_predict_proba():
    assert not hasattr(make_svm_pipeline(), "predict_proba")


def test_random_state_makes_smote_reproducible(data):
    table, y = data
    first = make_svm_pipeline(sampler="smote", random_state=7).fit(table, y)
    second = make_svm_pipeline(sampler="smote", random_state=7).fit(table, y)
    np.testing.assert_array_equal(
        first.decision_function(table), second.decision_function(table)
    )


def test_given_sampler_and_features_are_cloned():
    sampler = RandomOverSampler(random_state=1)
    features = ParticleFeatures("all", n_histogram_bins=8)
    pipeline = make_svm_pipeline(features, sampler=sampler, n_jobs=1)
    assert pipeline.named_steps["svc"].sampler is not sampler
    assert pipeline.named_steps["features"] is not features
    assert pipeline.named_steps["features"].n_histogram_bins == 8
    assert pipeline.named_steps["features"].n_jobs == 1
    assert features.n_jobs is None


def test_grid_search_over_the_svc(data):
    table, y = data
    search = GridSearchCV(
        make_svm_pipeline(["area", "edge_profile"], C=1.0),
        {"svc__C": [0.1, 10.0]},
        cv=StratifiedKFold(3),
        scoring="balanced_accuracy",
    ).fit(table, y)
    assert search.best_params_["svc__C"] in (0.1, 10.0)


@pytest.mark.parametrize("sampler", ["undersample", 3, SVC()])
def test_unknown_sampler_raises(sampler):
    with pytest.raises(ValueError, match="sampler must be None, 'oversample'"):
        make_svm_pipeline(sampler=sampler)


def test_bad_probability_raises():
    with pytest.raises(ValueError, match="probability must be True or False"):
        make_svm_pipeline(probability="yes")


@pytest.mark.parametrize("architecture, size", [("lipnet4", 28), ("lipnet6", 32)])
def test_lipnet_pipeline_steps_and_input_size(architecture, size):
    pipeline = make_lipnet_pipeline(
        architecture, mode="masked", max_epochs=3, random_state=5, lr=0.01
    )
    assert [name for name, _ in pipeline.steps] == ["preprocessor", "lipnet"]
    preprocessor = pipeline.named_steps["preprocessor"]
    assert isinstance(preprocessor, ParticlePreprocessor)
    assert (preprocessor.mode, preprocessor.size) == ("masked", size)
    classifier = pipeline.named_steps["lipnet"]
    assert isinstance(classifier, LipNetClassifier)
    assert classifier.architecture == architecture
    assert (classifier.max_epochs, classifier.random_state, classifier.lr) == (
        3,
        5,
        0.01,
    )


def test_lipnet_pipeline_follows_a_custom_input_size():
    pipeline = make_lipnet_pipeline(module__input_size=40)
    assert pipeline.named_steps["preprocessor"].size == 40
    assert make_lipnet_pipeline(size=48).named_steps["preprocessor"].size == 48


def test_lipnet_pipeline_with_a_sampler():
    pipeline = make_lipnet_pipeline(sampler="oversample", balance=None, random_state=1)
    assert [name for name, _ in pipeline.steps] == ["preprocessor", "sampler", "lipnet"]
    assert pipeline.named_steps["sampler"].random_state == 1


def test_unknown_architecture_raises():
    with pytest.raises(ValueError, match="architecture must be one of"):
        make_lipnet_pipeline("lipnet5")


def test_one_cross_validate_call_compares_svm_and_lipnet(data):
    table, y = data
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    pipelines = {
        "svm": make_svm_pipeline(),
        "lipnet": make_lipnet_pipeline(
            "lipnet1", max_epochs=4, device="cpu", random_state=0
        ),
    }
    test_folds = {}
    for name, pipeline in pipelines.items():
        scores = cross_validate(
            pipeline,
            table,
            y,
            cv=cv,
            scoring="balanced_accuracy",
            error_score="raise",
            return_indices=True,
        )
        # One versus three membranes: both models must tell them apart on
        # every held-out fold (chance is 0.5).
        assert scores["test_score"].min() >= 0.75, name
        test_folds[name] = [idx.tolist() for idx in scores["indices"]["test"]]
    assert test_folds["svm"] == test_folds["lipnet"]  # the same particles


def test_probability_columns_belong_to_their_classes_in_both_pipelines(data):
    table, y = data
    assert y[0] == max(y)  # the first label sorts last
    pipelines = {
        "lipnet": make_lipnet_pipeline(
            max_epochs=4, augment=False, device="cpu", random_state=0
        ),
        "svm": make_svm_pipeline(probability=True, random_state=0),
    }
    for name, pipeline in pipelines.items():
        proba = pipeline.fit(table, y).predict_proba(table)
        assert pipeline.classes_.tolist() == ["multilamellar", "unilamellar"], name
        true_column = np.searchsorted(pipeline.classes_, y)
        np.testing.assert_array_equal(proba.argmax(axis=1), true_column, err_msg=name)


def test_lipnet_pipeline_columns_follow_classes_with_three_classes():
    X, y = three_shapes()
    table = pd.DataFrame({"image": list(X.reshape(len(X), 28, 28))})
    pipeline = make_lipnet_pipeline(
        mode="surrounding", max_epochs=6, augment=False, device="cpu", random_state=0
    ).fit(table, y)
    assert pipeline.classes_.tolist() == ["ant", "moth", "zebra"]
    proba = pipeline.predict_proba(table)
    np.testing.assert_array_equal(
        proba.argmax(axis=1), np.searchsorted(pipeline.classes_, y)
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"probability": True, "sampler": "oversample"},
        {"sampler": "smote"},
        {"features": ParticleFeatures("all", intensity_range=(10, 250), n_jobs=1)},
    ],
)
def test_fitted_svm_pipeline_round_trips_through_a_model_file(data, tmp_path, options):
    table, y = data
    fitted = make_svm_pipeline(random_state=0, **options).fit(table, y)
    save_model(fitted, tmp_path / "svm.lipnet")
    loaded = load_model(tmp_path / "svm.lipnet")
    np.testing.assert_array_equal(loaded.predict(table), fitted.predict(table))
    scores = "predict_proba" if options.get("probability") else "decision_function"
    np.testing.assert_allclose(
        getattr(loaded, scores)(table), getattr(fitted, scores)(table)
    )
    np.testing.assert_array_equal(
        loaded.named_steps["features"].get_feature_names_out(),
        fitted.named_steps["features"].get_feature_names_out(),
    )


def test_smote_names_a_class_too_small_to_interpolate(data):
    table, y = data
    y = np.asarray(y)
    multilamellar = np.flatnonzero(y == "multilamellar")
    keep = np.concatenate([np.flatnonzero(y == "unilamellar"), multilamellar[:4]])
    with pytest.raises(ValueError, match=r"k_neighbors=5 .* 'multilamellar' \(4\)"):
        make_svm_pipeline(sampler="smote", random_state=0).fit(
            table.iloc[keep], y[keep]
        )


def test_default_svm_holds_up_without_masks(data):
    table, y = data
    maskless = table.drop(columns="mask")
    svm = make_svm_pipeline()
    scores = cross_validate(
        svm,
        maskless,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
        return_estimator=True,
    )
    assert scores["test_score"].mean() > 0.9
    fitted = scores["estimator"][0].named_steps["features"]
    assert "mask_trusted" in fitted.features_ and "ring_profile" in fitted.features_
