"""Per-class evaluation over cross-validation folds, and scorers."""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate
from sklearn.utils.multiclass import unique_labels

from ..utils import check_labels
from ._per_class import MEASURES, per_class_report_from_confusion

__all__ = ["CrossValidationReport", "cross_validate_per_class", "per_class_scoring"]


class _ConfusionScorer:
    """A scorer whose "scores" are the cells of the fold's confusion matrix.

    scikit-learn accepts a callable that returns a dict of numbers as
    ``scoring``; returning the matrix cell by cell lets the matrices come
    back from any joblib backend (processes, Dask workers) without shipping
    fitted models or predictions.
    """

    def __init__(self, labels):
        self.labels = labels

    def __call__(self, estimator, X, y):
        matrix = confusion_matrix(y, estimator.predict(X), labels=self.labels)
        k = len(self.labels)
        return {f"cell_{i}_{j}": int(matrix[i, j]) for i in range(k) for j in range(k)}


@dataclass
class CrossValidationReport:
    """Confusion matrices of every test fold and what follows from them.

    Attributes
    ----------
    labels : ndarray
        Class order of every matrix and report.
    fold_confusion_matrices : ndarray of shape (n_folds, n_classes, n_classes)
        Raw confusion matrix of each test fold (rows true, columns predicted).
    fit_time, score_time : ndarray of shape (n_folds,)
        Seconds spent fitting and predicting per fold.
    estimators : list or None
        The fitted estimator of each fold, with ``return_estimator=True``.
    """

    labels: np.ndarray
    fold_confusion_matrices: np.ndarray
    fit_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    score_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    estimators: list | None = None

    def _frame(self, matrix):
        return pd.DataFrame(
            matrix,
            index=pd.Index(self.labels, name="true"),
            columns=pd.Index(self.labels, name="predicted"),
        )

    @property
    def confusion_matrix(self):
        """Fold-average raw confusion matrix (the thesis's tables 9, 10)."""
        return self._frame(self.fold_confusion_matrices.mean(axis=0))

    @property
    def normalized_confusion_matrix(self):
        """Fold-average of the row-normalised matrices (tables 7, 8).

        A fold without test samples of a class has no row for it; that
        class's row is averaged over the other folds.
        """
        matrices = self.fold_confusion_matrices.astype(float)
        totals = matrices.sum(axis=-1, keepdims=True)
        rows = np.divide(
            matrices, totals, out=np.full_like(matrices, np.nan), where=totals > 0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._frame(np.nanmean(rows, axis=0))

    @property
    def fold_reports(self):
        """Per-class report of each fold (a list of DataFrames)."""
        return [
            per_class_report_from_confusion(
                matrix, self.labels, zero_division=np.nan, warn_support=False
            )
            for matrix in self.fold_confusion_matrices
        ]

    def _over_folds(self, statistic):
        """``statistic`` (NaN-aware) of every per-class measure over the folds."""
        stacked = np.stack([report.to_numpy() for report in self.fold_reports])
        with warnings.catch_warnings():
            # a measure undefined in every fold stays NaN, quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            values = statistic(stacked, axis=0)
        return pd.DataFrame(
            values, index=pd.Index(self.labels, name="class"), columns=list(MEASURES)
        )

    @property
    def report(self):
        """Per-class measures averaged over the folds (NaN-aware).

        A measure undefined in a fold (a class never predicted there has no
        PPV) is left out of that measure's average instead of counting as 0;
        ``support`` is the mean number of true samples per fold.
        """
        return self._over_folds(np.nanmean)

    @property
    def report_std(self):
        """Standard deviation of each per-class measure over the folds."""
        return self._over_folds(np.nanstd)

    @property
    def pooled_report(self):
        """Per-class measures of the summed confusion matrix of all folds."""
        return per_class_report_from_confusion(
            self.fold_confusion_matrices.sum(axis=0),
            self.labels,
            zero_division=np.nan,
        )


def cross_validate_per_class(
    estimator,
    X,
    y,
    *,
    cv=5,
    labels=None,
    n_jobs=None,
    verbose=0,
    random_state=0,
    error_score="raise",
    return_estimator=False,
):
    """Cross-validate ``estimator`` and keep every fold's confusion matrix.

    The thesis's protocol (section 8.1): stratified k-fold, one fold tested
    at a time, per-class measures and confusion matrices averaged over the
    folds. Runs through :func:`sklearn.model_selection.cross_validate`, so
    ``n_jobs`` and joblib backends (``joblib.parallel_backend("dask")``)
    apply unchanged.

    Parameters
    ----------
    estimator : estimator
        Any classifier or pipeline; it is cloned for every fold.
    X : array-like or DataFrame
        Training data (a particle table, an image matrix, features).
    y : array-like of shape (n_samples,)
        Labels.
    cv : int or cross-validation generator, default=5
        An int ``k`` means ``StratifiedKFold(k, shuffle=True,
        random_state=random_state)``.
    labels : sequence, optional
        Class order of the results; default the sorted classes of ``y``.
    n_jobs : int, optional
        Folds fitted in parallel.
    verbose : int, default=0
        Passed to ``cross_validate``.
    random_state : int or None, default=0
        Shuffling of the stratified folds when ``cv`` is an int.
    error_score : "raise" or float, default="raise"
        Passed to ``cross_validate``.
    return_estimator : bool, default=False
        Keep each fold's fitted estimator (e.g. for training curves).

    Returns
    -------
    report : CrossValidationReport
        ``.report`` (fold-average per-class measures), ``.report_std``,
        ``.confusion_matrix`` (fold-average counts),
        ``.normalized_confusion_matrix``, ``.fold_reports``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sklearn_lipnet.metrics import cross_validate_per_class
    >>> X, y = load_iris(return_X_y=True)
    >>> result = cross_validate_per_class(SVC(), X, y, cv=5)
    >>> result.fold_confusion_matrices.shape
    (5, 3, 3)
    >>> result.report["tpr"].round(2).tolist()
    [1.0, 0.92, 0.94]
    """
    check_labels(y)
    labels = unique_labels(y) if labels is None else np.asarray(labels)
    if isinstance(cv, int):
        cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    cv = check_cv(cv, y, classifier=True)
    results = cross_validate(
        estimator,
        X,
        y,
        cv=cv,
        scoring=_ConfusionScorer(labels),
        n_jobs=n_jobs,
        verbose=verbose,
        error_score=error_score,
        return_estimator=return_estimator,
    )
    k = len(labels)
    matrices = np.stack(
        [
            np.stack([results[f"test_cell_{i}_{j}"] for j in range(k)], axis=-1)
            for i in range(k)
        ],
        axis=1,
    )
    return CrossValidationReport(
        labels=labels,
        fold_confusion_matrices=matrices,
        fit_time=np.asarray(results["fit_time"]),
        score_time=np.asarray(results["score_time"]),
        estimators=results.get("estimator"),
    )


def _one_class_measure(y_true, y_pred, *, label, measure):
    matrix = confusion_matrix(y_true, y_pred, labels=unique_labels(y_true, y_pred))
    classes = list(unique_labels(y_true, y_pred))
    if label not in classes:
        return np.nan
    report = per_class_report_from_confusion(
        matrix, classes, zero_division=0.0, warn_support=False
    )
    return float(report.loc[label, measure])


def per_class_scoring(labels, measures=("tpr", "ppv", "f1")):
    """Scorers for ``cross_validate(scoring=...)``, one per class and measure.

    Parameters
    ----------
    labels : sequence
        Classes to score.
    measures : sequence of {"tpr", "tnr", "ppv", "npv", "f1"}
        Measures to score for each class.

    Returns
    -------
    scoring : dict
        ``{"<measure>_<label>": scorer}``, e.g. ``"tpr_uncertain"``; results
        appear as ``test_tpr_uncertain`` in ``cross_validate``'s output.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.svm import SVC
    >>> from sklearn_lipnet.metrics import per_class_scoring
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_validate(SVC(), X, y, scoring=per_class_scoring([0, 2]))
    >>> sorted(k for k in scores if k.startswith("test_"))
    ['test_f1_0', 'test_f1_2', 'test_ppv_0', 'test_ppv_2', 'test_tpr_0', 'test_tpr_2']
    """
    from sklearn.metrics import make_scorer

    unknown = set(measures) - (set(MEASURES) - {"support"})
    if unknown:
        raise ValueError(
            f"Unknown measures {sorted(unknown)}; choose from "
            f"{[m for m in MEASURES if m != 'support']}."
        )
    return {
        f"{measure}_{label}": make_scorer(
            _one_class_measure, label=label, measure=measure
        )
        for label in labels
        for measure in measures
    }
