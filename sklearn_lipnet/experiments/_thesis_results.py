"""Published numbers of the thesis the benchmark report puts ours beside.

Gryshkevych (2016), section 8.4 (tables 7, 8: the feature SVM, 5-fold average
row-normalised confusion matrices) and section 9 (tables 9, 10: LipNet-4,
5-fold average confusion matrices in counts). Rows are true classes, columns
predicted classes; the class order is that of :data:`sklearn_lipnet.datasets.CLASSES`.
"""

import numpy as np
import pandas as pd

from ..datasets import CLASSES

_NORMALIZED = {
    ("svm", "encapsulation"): [
        [0.89, 0.01, 0.10],
        [0.04, 0.87, 0.09],
        [0.18, 0.10, 0.72],
    ],
    ("svm", "lamellarity"): [
        [0.94, 0.04, 0.02],
        [0.00, 0.98, 0.02],
        [0.03, 0.11, 0.86],
    ],
}
_COUNTS = {
    ("lipnet4", "lamellarity"): [[2325, 15, 124], [4, 323, 16], [2, 3, 11]],
    ("lipnet4", "encapsulation"): [[20, 1, 12], [116, 4201, 534], [22, 16, 63]],
}
TABLE_NUMBERS = {
    ("svm", "encapsulation"): 7,
    ("svm", "lamellarity"): 8,
    ("lipnet4", "lamellarity"): 9,
    ("lipnet4", "encapsulation"): 10,
}


def thesis_confusion(model, problem, normalize=True):
    """The thesis's confusion matrix of ``model`` on ``problem``, or None.

    Parameters
    ----------
    model : {"svm", "lipnet4"}
        The thesis's model.
    problem : {"lamellarity", "encapsulation"}
        The thesis's problem.
    normalize : bool, default=True
        Row-normalised (tables 7, 8; tables 9, 10 normalised) or counts.

    Returns
    -------
    matrix : pandas.DataFrame or None
        Rows true, columns predicted, in the class order of
        :data:`sklearn_lipnet.datasets.CLASSES`; ``None`` when the thesis has
        no such table, or only the normalised one and counts are asked.
    """
    key = (model, problem)
    labels = CLASSES.get(problem)
    if key in _COUNTS:
        matrix = np.asarray(_COUNTS[key], dtype=float)
        if normalize:
            matrix = matrix / matrix.sum(axis=1, keepdims=True)
    elif key in _NORMALIZED and normalize:
        matrix = np.asarray(_NORMALIZED[key], dtype=float)
    else:
        return None
    return pd.DataFrame(
        matrix,
        index=pd.Index(labels, name="true"),
        columns=pd.Index(labels, name="predicted"),
    )
