"""The benchmark report's figures of what the models learned."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from sklearn_lipnet import make_lipnet_pipeline, make_svm_pipeline
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.experiments import compare_models, write_report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def experiment():
    table, y = make_liposomes(36, weights=[1, 1, 1], random_state=0)
    models = {
        "LipNet-1": make_lipnet_pipeline(
            "lipnet1", max_epochs=1, device="cpu", random_state=0
        ),
        "SVM": make_svm_pipeline(random_state=0),
    }
    results = compare_models(table, y, models, cv=2, random_state=0, log=lambda m: m)
    return table, y, results


def test_the_last_folds_model_and_test_particles_are_kept(experiment):
    table, y, results = experiment
    _, last_test = list(
        StratifiedKFold(2, shuffle=True, random_state=0).split(table, y)
    )[-1]
    for result in results.values():
        assert result.cv.estimators is None  # the other folds' models are gone
        assert result.X_test["id"].tolist() == table["id"].iloc[last_test].tolist()
        np.testing.assert_array_equal(result.y_test, y[last_test])
        # the kept model is the last fold's: it reproduces that fold's matrix
        predicted = result.model.predict(result.X_test)
        matrix = [
            [np.sum((result.y_test == t) & (predicted == p)) for p in result.cv.labels]
            for t in result.cv.labels
        ]
        np.testing.assert_array_equal(matrix, result.cv.fold_confusion_matrices[-1])


def test_the_report_shows_what_each_model_learned(experiment, tmp_path):
    *_, results = experiment
    report = write_report(tmp_path, {"lamellarity": results}, {}, {}, 1.0)
    for name in (
        "filters_lamellarity_lipnet1.png",
        "saliency_lamellarity_lipnet1.png",
        "misclassified_lamellarity_lipnet1.png",
        "feature_importance_lamellarity_svm.png",
    ):
        assert (tmp_path / name).read_bytes()[:8] == PNG, name
        assert f"]({name})" in report.read_text()
    assert not (tmp_path / "misclassified_lamellarity_svm.png").exists()  # no proba
    assert "### What the models learned" in report.read_text()


def test_a_figure_that_fails_is_named_and_the_report_still_written(
    experiment, tmp_path, monkeypatch
):
    import sklearn_lipnet.inspection as inspection

    def broken(*args, **kwargs):
        raise RuntimeError("no filters today")

    monkeypatch.setattr(inspection, "plot_filters", broken)
    *_, results = experiment
    lipnet = {"LipNet-1": results["LipNet-1"]}
    with pytest.warns(UserWarning, match="filters_lamellarity_lipnet1.png"):
        report = write_report(tmp_path, {"lamellarity": lipnet}, {}, {}, 1.0)
    text = report.read_text()
    assert "not drawn, RuntimeError: no filters today" in text
    assert "](misclassified_lamellarity_lipnet1.png)" in text
    assert not (tmp_path / "filters_lamellarity_lipnet1.png").exists()


def test_feature_importance_shuffles_at_most_a_few_particles_of_each_class(
    experiment, tmp_path, monkeypatch
):
    import sklearn_lipnet.inspection as inspection
    from sklearn_lipnet.experiments import _inspection_figures

    shown = []
    plot = inspection.plot_feature_importance

    def spy(model, X, y, **kwargs):
        shown.append((X["id"].tolist(), np.asarray(y)))
        return plot(model, X, y, **kwargs)

    monkeypatch.setattr(inspection, "plot_feature_importance", spy)
    monkeypatch.setattr(_inspection_figures, "_IMPORTANCE_PER_CLASS", 3)
    *_, results = experiment
    svm = results["SVM"]
    write_report(tmp_path, {"lamellarity": {"SVM": svm}}, {}, {}, 1.0)
    ((ids, y_shown),) = shown
    labels, counts = np.unique(y_shown, return_counts=True)
    # Every class is there, none with more than 3 particles, and each
    # particle keeps its own label.
    assert labels.tolist() == sorted(set(svm.y_test)) and counts.max() == 3
    test_labels = dict(zip(svm.X_test["id"], svm.y_test))
    assert [test_labels[i] for i in ids] == y_shown.tolist()
    assert "at most 3 test particles per class" in (tmp_path / "report.md").read_text()
