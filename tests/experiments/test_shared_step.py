"""compare_models runs a per-particle first step once for every fold."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from sklearn_lipnet import (
    ParticleFeatures,
    ParticlePreprocessor,
    make_lipnet_pipeline,
    make_svm_pipeline,
)
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.experiments import compare_models
from sklearn_lipnet.experiments._shared_step import shared_first_step
from sklearn_lipnet.metrics import cross_validate_per_class


@pytest.fixture(scope="module")
def liposomes():
    return make_liposomes(60, weights=[1, 1, 1], random_state=0)


def _splits(table, y, k=3):
    return list(StratifiedKFold(k, shuffle=True, random_state=0).split(table, y))


def _count_transformed(monkeypatch, step_class=ParticleFeatures):
    """Record how many particles each ``step_class.transform`` call gets."""
    calls = []
    transform = step_class.transform

    def counting(self, X):
        calls.append(len(X))
        return transform(self, X)

    monkeypatch.setattr(step_class, "transform", counting)
    return calls


def test_the_features_are_computed_once_and_the_folds_are_unchanged(
    liposomes, monkeypatch
):
    table, y = liposomes
    splits = _splits(table, y)
    model = make_svm_pipeline(sampler="oversample", random_state=0)
    whole = cross_validate_per_class(model, table, y, cv=splits)
    calls = _count_transformed(monkeypatch)
    result = compare_models(table, y, {"SVM": model}, cv=splits, log=lambda _: None)[
        "SVM"
    ]
    # One call over all particles instead of a train and a test call per fold.
    assert calls == [len(table)]
    np.testing.assert_array_equal(
        result.cv.fold_confusion_matrices, whole.fold_confusion_matrices
    )
    # The kept model is the whole pipeline, fitted: it takes particles and
    # reproduces the last fold's matrix.
    assert [name for name, _ in result.model.steps] == [name for name, _ in model.steps]
    predicted = result.model.predict(result.X_test)
    matrix = [
        [np.sum((result.y_test == t) & (predicted == p)) for p in result.cv.labels]
        for t in result.cv.labels
    ]
    np.testing.assert_array_equal(matrix, result.cv.fold_confusion_matrices[-1])


def test_columns_that_differ_between_folds_fall_back_to_the_whole_pipeline(
    liposomes, monkeypatch
):
    table, y = liposomes
    table = table.copy()
    splits = _splits(table, y)
    # features="auto" picks other columns where a training set lacks some
    # expert masks: here the first fold's training particles have them all.
    first_test = splits[0][1]
    table["mask"] = [
        None if position in first_test else mask
        for position, mask in enumerate(table["mask"])
    ]
    model = make_svm_pipeline(random_state=0)
    assert shared_first_step(model, table, splits) is None
    calls = _count_transformed(monkeypatch)
    with pytest.warns(UserWarning):
        compare_models(table, y, {"SVM": model}, cv=splits, log=lambda _: None)
    assert len(calls) == 2 * len(splits)  # every fold's training and test rows


def test_svm_folds_run_in_parallel_with_the_same_results(liposomes, monkeypatch):
    table, y = liposomes
    splits = _splits(table, y)
    model = {"SVM": make_svm_pipeline(random_state=0)}
    jobs = []
    cross_validate = cross_validate_per_class

    def spy(*args, n_jobs=None, **kwargs):
        jobs.append(n_jobs)
        return cross_validate(*args, n_jobs=n_jobs, **kwargs)

    monkeypatch.setattr(
        "sklearn_lipnet.experiments._compare.cross_validate_per_class", spy
    )
    serial = compare_models(table, y, model, cv=splits, log=lambda _: None)
    # The SVM's folds go to two joblib processes; a CPU network's to the
    # fold workers instead (tests/experiments/test_network_folds.py).
    network = {"LipNet": make_lipnet_pipeline("lipnet1", max_epochs=1, device="cpu")}
    parallel = compare_models(
        table, y, {**model, **network}, cv=splits, n_jobs=2, log=lambda _: None
    )
    assert jobs == [None, 2]
    np.testing.assert_array_equal(
        parallel["SVM"].cv.fold_confusion_matrices,
        serial["SVM"].cv.fold_confusion_matrices,
    )


def test_a_network_pipeline_prepares_the_images_once_with_the_same_folds(
    liposomes, monkeypatch
):
    table, y = liposomes
    splits = _splits(table, y)
    model = make_lipnet_pipeline("lipnet1", max_epochs=2, device="cpu", random_state=0)
    whole = cross_validate_per_class(model, table, y, cv=splits)
    calls = _count_transformed(monkeypatch, ParticlePreprocessor)
    result = compare_models(table, y, {"LipNet": model}, cv=splits, log=lambda _: None)
    assert calls == [len(table)]
    np.testing.assert_array_equal(
        result["LipNet"].cv.fold_confusion_matrices, whole.fold_confusion_matrices
    )
    kept = result["LipNet"].model
    assert isinstance(kept[0], ParticlePreprocessor) and kept[0].mode_ == "masked"
    assert len(kept.predict(result["LipNet"].X_test)) == len(result["LipNet"].y_test)


def test_images_prepared_differently_between_folds_are_not_shared(liposomes):
    table, y = liposomes
    splits = _splits(table, y)
    # scale="fixed" without canvas_nm: the canvas is each training set's
    # largest particle, which differs between folds.
    model = make_lipnet_pipeline("lipnet1", scale="fixed", max_epochs=1)
    assert shared_first_step(model, table, splits) is None
    fixed = make_lipnet_pipeline("lipnet1", scale="fixed", canvas_nm=400, max_epochs=1)
    assert shared_first_step(fixed, table, splits) is not None
    # mode="auto" masks the particles only where every training particle has
    # an expert mask: here in the first fold alone.
    table = table.copy()
    table["mask"] = [
        None if position in splits[0][1] else mask
        for position, mask in enumerate(table["mask"])
    ]
    assert shared_first_step(make_lipnet_pipeline("lipnet1"), table, splits) is None
