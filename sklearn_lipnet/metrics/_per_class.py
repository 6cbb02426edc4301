"""One-vs-rest measures per class, from labels or from a confusion matrix."""

import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import confusion_matrix
from sklearn.utils.multiclass import unique_labels

from ..utils import check_labels

__all__ = [
    "MEASURES",
    "confusion_matrix_frame",
    "per_class_report",
    "per_class_report_from_confusion",
]

#: Columns of a per-class report, in order.
MEASURES = ("tpr", "tnr", "ppv", "npv", "f1", "support")

#: Below this many true samples a class's measures are flagged as unreliable.
MIN_RELIABLE_SUPPORT = 10


def _ratio(numerator, denominator, name, labels, zero_division):
    """Element-wise ``numerator / denominator`` with scikit-learn's rule for 0/0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    undefined = denominator == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / denominator
    if undefined.any():
        fill = (
            np.nan
            if zero_division is np.nan
            else float(0.0 if zero_division == "warn" else zero_division)
        )
        result[undefined] = fill
        if zero_division == "warn":
            names = ", ".join(f"'{labels[i]}'" for i in np.flatnonzero(undefined))
            warnings.warn(
                f"{name} is undefined (0/0) for class {names}; set to 0.0. "
                "Use zero_division to choose another value.",
                UndefinedMetricWarning,
                stacklevel=5,
            )
    return result


def per_class_report_from_confusion(
    matrix, labels=None, *, zero_division="warn", warn_support=True
):
    """Per-class TPR, TNR, PPV, NPV, F1 and support from a confusion matrix.

    Each class is scored one-vs-rest: its true positives are the diagonal
    cell, its false negatives the rest of its row, its false positives the
    rest of its column and its true negatives everything else.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes)
        Confusion matrix, rows true classes, columns predicted classes (the
        layout of :func:`sklearn.metrics.confusion_matrix` and of the
        thesis's tables). Counts may be averages over folds (non-integer).
    labels : sequence of length n_classes, optional
        Class names, in the order of the rows; default ``0 .. n_classes-1``.
    zero_division : "warn", 0.0, 1.0 or np.nan, default="warn"
        Value of a measure whose denominator is zero (a class never
        predicted has no PPV); ``"warn"`` gives 0.0 and warns, like
        scikit-learn.
    warn_support : bool, default=True
        Warn when a class has fewer than 10 true samples.

    Returns
    -------
    report : pandas.DataFrame
        One row per class (index ``class``) with columns ``tpr``
        (sensitivity, recall), ``tnr`` (specificity), ``ppv`` (precision),
        ``npv``, ``f1`` (harmonic mean of PPV and TPR) and ``support``
        (number of true samples).

    See Also
    --------
    per_class_report : The same from true and predicted labels.

    Notes
    -----
    The thesis (section 4.6) prints F1 as the harmonic mean of TPR and TNR;
    its figures, like everyone else, use precision and recall. We report the
    usual F1 = 2 PPV TPR / (PPV + TPR).

    Examples
    --------
    Table 9 of the thesis (LipNet-4, lamellarity, 5-fold average):

    >>> from sklearn_lipnet.metrics import per_class_report_from_confusion
    >>> table_9 = [[2325, 15, 124], [4, 323, 16], [2, 3, 11]]
    >>> report = per_class_report_from_confusion(
    ...     table_9, ["unilamellar", "multilamellar", "uncertain"]
    ... )
    >>> report.round(3)
                     tpr    tnr    ppv    npv     f1  support
    class
    unilamellar    0.944  0.983  0.997  0.717  0.970   2464.0
    multilamellar  0.942  0.993  0.947  0.992  0.944    343.0
    uncertain      0.688  0.950  0.073  0.998  0.132     16.0
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not matrix.size:
        raise ValueError(
            f"A confusion matrix must be square and non-empty; got shape "
            f"{matrix.shape}."
        )
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise ValueError("A confusion matrix holds finite, non-negative counts.")
    labels = list(range(len(matrix))) if labels is None else list(labels)
    if len(labels) != len(matrix):
        raise ValueError(
            f"{len(labels)} labels were given for a {len(matrix)}x{len(matrix)} "
            "confusion matrix."
        )
    return _one_vs_rest(matrix, labels, labels, zero_division, warn_support)


def _one_vs_rest(matrix, labels, rows, zero_division, warn_support):
    """The report of classes ``rows`` from the full confusion ``matrix``."""
    index = [labels.index(row) for row in rows]
    total = matrix.sum()
    tp = np.diag(matrix)
    fn = matrix.sum(axis=1) - tp
    fp = matrix.sum(axis=0) - tp
    tn = total - tp - fn - fp
    tp, fn, fp, tn = tp[index], fn[index], fp[index], tn[index]

    def ratio(numerator, denominator, name):
        return _ratio(numerator, denominator, name, rows, zero_division)

    tpr = ratio(tp, tp + fn, "TPR (recall)")
    tnr = ratio(tn, tn + fp, "TNR (specificity)")
    ppv = ratio(tp, tp + fp, "PPV (precision)")
    npv = ratio(tn, tn + fn, "NPV")
    f1 = ratio(2 * tp, 2 * tp + fp + fn, "F1")
    support = tp + fn
    if warn_support:
        scarce = [
            f"'{label}' ({count:g})"
            for label, count in zip(rows, support)
            if count < MIN_RELIABLE_SUPPORT
        ]
        if scarce:
            warnings.warn(
                f"Few true samples for class {', '.join(scarce)}: the measures "
                f"of classes with fewer than {MIN_RELIABLE_SUPPORT} samples are "
                "unreliable; pool more folds or label more particles.",
                UserWarning,
                stacklevel=3,
            )
    return pd.DataFrame(
        {"tpr": tpr, "tnr": tnr, "ppv": ppv, "npv": npv, "f1": f1, "support": support},
        index=pd.Index(rows, name="class"),
    )


def per_class_report(
    y_true, y_pred, labels=None, *, zero_division="warn", warn_support=True
):
    """Per-class TPR, TNR, PPV, NPV, F1 and support, one-vs-rest.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : sequence, optional
        Classes to report, in this order; default all classes in ``y_true``
        and ``y_pred``, sorted.
    zero_division : "warn", 0.0, 1.0 or np.nan, default="warn"
        See :func:`per_class_report_from_confusion`.
    warn_support : bool, default=True
        Warn when a class has fewer than 10 true samples.

    Returns
    -------
    report : pandas.DataFrame
        One row per class, columns ``tpr``, ``tnr``, ``ppv``, ``npv``,
        ``f1``, ``support``.

    See Also
    --------
    per_class_report_from_confusion : The same from a confusion matrix.
    confusion_matrix_frame : The confusion matrix behind the report.

    Examples
    --------
    >>> from sklearn_lipnet.metrics import per_class_report
    >>> y_true = ["full"] * 8 + ["empty"] * 2
    >>> y_pred = ["full"] * 7 + ["empty"] * 2 + ["full"]
    >>> per_class_report(y_true, y_pred, warn_support=False)
             tpr    tnr       ppv       npv        f1  support
    class
    empty  0.500  0.875  0.500000  0.875000  0.500000      2.0
    full   0.875  0.500  0.875000  0.500000  0.875000      8.0
    """
    check_labels(y_true, "y_true")
    check_labels(y_pred, "y_pred")
    present = unique_labels(y_true, y_pred)
    rows = list(present if labels is None else labels)
    # One-vs-rest counts every sample, also those of classes not reported.
    every = list(unique_labels(present, np.asarray(rows)))
    matrix = confusion_matrix(y_true, y_pred, labels=every).astype(float)
    return _one_vs_rest(matrix, every, rows, zero_division, warn_support)


def confusion_matrix_frame(y_true, y_pred, labels=None, *, normalize=None):
    """The confusion matrix as a labelled ``DataFrame``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : sequence, optional
        Row and column order; default the sorted union of the labels.
    normalize : {None, "true"}, default=None
        ``"true"`` divides each row by its total, so that the diagonal holds
        each class's TPR (the thesis's "normalised confusion matrix"); rows
        of classes absent from ``y_true`` are all zero.

    Returns
    -------
    matrix : pandas.DataFrame
        Rows are true classes (index ``true``), columns predicted classes
        (``predicted``).

    Examples
    --------
    >>> from sklearn_lipnet.metrics import confusion_matrix_frame
    >>> confusion_matrix_frame(["a", "a", "b"], ["a", "b", "b"])
    predicted  a  b
    true
    a          1  1
    b          0  1
    """
    if normalize not in (None, "true"):
        raise ValueError(f"normalize must be None or 'true', got {normalize!r}.")
    check_labels(y_true, "y_true")
    check_labels(y_pred, "y_pred")
    labels = unique_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    if normalize == "true":
        matrix = normalize_rows(matrix)
    return pd.DataFrame(
        matrix,
        index=pd.Index(labels, name="true"),
        columns=pd.Index(labels, name="predicted"),
    )


def normalize_rows(matrix):
    """Divide each row by its sum; rows summing to zero stay zero."""
    matrix = np.asarray(matrix, dtype=float)
    totals = matrix.sum(axis=-1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
