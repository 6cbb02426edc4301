"""A network's folds in parallel processes: the same folds, counted, portable."""

import io
import pickle

import numpy as np
import pytest
import torch
from joblib import cpu_count
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.experiments import Progress, compare_models, work_units
from sklearn_lipnet.experiments._network_folds import (
    _torch_threads,
    fold_processes,
    fold_rounds,
)
from sklearn_lipnet.metrics import cross_validate_per_class

from .._synthetic import discs_and_rings


def small_network(**params):
    return LipNetClassifier(
        max_epochs=3, random_state=0, module__conv_channels=4, **params
    )


def test_folds_in_processes_train_as_the_same_folds_here_would():
    X, y = discs_and_rings(80)
    folds = StratifiedKFold(4, shuffle=True, random_state=0)
    results = compare_models(
        X, y, {"net": small_network()}, cv=folds, n_jobs=2, log=lambda _: None
    )
    # Four folds on two processes: one round, every fold with the same
    # threads; the same folds trained here with those threads must give
    # the same networks, fold by fold.
    [(_, processes, threads)] = fold_rounds(4, 2, cpu_count())
    assert processes == 2
    with _torch_threads(threads):
        here = cross_validate_per_class(
            small_network(), X, y, cv=folds, return_estimator=True
        )
    np.testing.assert_array_equal(
        results["net"].cv.fold_confusion_matrices, here.fold_confusion_matrices
    )
    for history, fitted in zip(results["net"].histories, here.estimators):
        np.testing.assert_allclose(
            [row["train_loss"] for row in history],
            fitted.net_.history[:, "train_loss"],
            rtol=1e-6,
        )


def test_epochs_trained_in_worker_processes_reach_the_progress_line():
    X, y = discs_and_rings(60)
    models = {"net": small_network(), "svc": SVC()}
    progress = Progress(work_units(models, 5), stream=io.StringIO())
    threads_before = torch.get_num_threads()
    # Five folds on two processes: four in the workers, the last one here.
    compare_models(X, y, models, cv=5, n_jobs=2, log=lambda _: None, progress=progress)
    assert progress.done == progress.total == 5 * 3 + 5
    assert torch.get_num_threads() == threads_before


def test_the_model_kept_from_parallel_folds_saves_and_loads_without_them():
    X, y = discs_and_rings(60)
    progress = Progress(work_units({"net": small_network()}, 2), stream=io.StringIO())
    results = compare_models(
        X,
        y,
        {"net": small_network()},
        cv=2,
        n_jobs=2,
        log=lambda _: None,
        progress=progress,
    )
    # The folds' link to the progress line is closed now; the model the
    # report keeps must not need it.
    model = results["net"].model
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_folds_share_processes_only_for_a_network_on_the_cpu_with_jobs():
    network = small_network(device="cpu")
    assert fold_processes(None, 2, 5) == 1
    assert fold_processes(network, None, 5) == 1
    assert fold_processes(network, 1, 5) == 1
    assert fold_processes(network, 64, 5) == min(5, cpu_count())
    assert fold_processes(network, 2, 5) == min(2, cpu_count())


def test_the_cores_are_shared_by_the_folds_that_run_together():
    assert fold_rounds(5, 2, 2) == [(range(0, 4), 2, 1), (range(4, 5), 1, 2)]
    assert fold_rounds(4, 2, 2) == [(range(0, 4), 2, 1)]
    assert fold_rounds(5, 3, 16) == [(range(0, 3), 3, 5), (range(3, 5), 2, 8)]
    assert fold_rounds(3, 5, 4) == [(range(0, 3), 3, 1)]


def test_a_fold_that_fails_in_a_worker_raises_its_own_error_here():
    X, y = discs_and_rings(40)
    broken = {"net": small_network(module__input_size=2)}
    with pytest.raises(ValueError, match="input_size=2 is too small"):
        compare_models(X, y, broken, cv=2, n_jobs=2, log=lambda _: None)
    # The workers are replaced: the next cross-validation runs.
    results = compare_models(
        X, y, {"net": small_network()}, cv=2, n_jobs=2, log=lambda _: None
    )
    assert results["net"].cv.fold_confusion_matrices.sum() == len(y)
