"""Cross-validation on a Dask cluster through joblib's Dask backend."""

import logging

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.metrics import cross_validate_per_class

from .._synthetic import discs_and_rings

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster_client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_cross_validation_runs_on_two_worker_processes(cluster_client):
    X, y = discs_and_rings(n_samples=90, seed=2)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    local = cross_validate_per_class(
        LipNetClassifier(max_epochs=3, device="cpu", random_state=0), X, y, cv=cv
    )
    with (
        distributed.get_task_stream(cluster_client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        remote = cross_validate_per_class(
            LipNetClassifier(max_epochs=3, device="cpu", random_state=0),
            X,
            y,
            cv=cv,
            n_jobs=-1,
        )
    # the folds really ran on the cluster, on both worker processes
    assert len({task["worker"] for task in tasks.data}) == 2
    # same seeds, same CPU arithmetic: the cluster reproduces the local result
    np.testing.assert_array_equal(
        remote.fold_confusion_matrices, local.fold_confusion_matrices
    )
    assert remote.report.loc["ring", "tpr"] > 0.7


def test_grid_search_on_the_cluster(cluster_client):
    X, y = discs_and_rings(n_samples=90, seed=3)
    with joblib.parallel_backend("dask"):
        search = GridSearchCV(
            SVC(), {"C": [0.1, 1.0, 10.0]}, cv=StratifiedKFold(3), n_jobs=-1
        ).fit(X, y)
    assert search.best_score_ > 0.7
